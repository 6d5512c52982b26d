using static TypedSkv.Generators.Tests.GeneratorTest;

namespace TypedSkv.Generators.Tests;

/// <summary>The By{Property} index accessors and the annotation-only nullable context compile for every index shape and consumer.</summary>
public class IndexAccessorCompileTests
{
    private const string Usings = "using System;\nusing System.Collections.Generic;\nusing TypedSkv;\n";

    private const string Model = """
        [SkvRecord("things")]
        public sealed record Thing(
            [property: SkvKey] int Id,
            [property: SkvKey(Order = 1)] long Part,
            [property: SkvIndex] int? Score,
            [property: SkvIndex] long Big,
            [property: SkvIndex] Guid Tag,
            [property: SkvIndex(Unique = true)] Guid? Ticket,
            [property: SkvIndex] long? Maybe,
            [property: SkvIndex] string @class,
            [property: SkvIndex(Unique = true)] string @event);
        [SkvDerivedType(typeof(Circle), "circle")]
        public class Shape { public string Kind { get; set; } = ""; }
        public sealed class Circle : Shape { public double R { get; set; } }
        [SkvRecord("drawings")]
        public sealed class Drawing
        {
            [SkvKey] public Guid Id { get; set; }
            [SkvIndex(Unique = true)] public string Code { get; set; }
            [SkvIndex] public string Owner { get; set; }
            public Shape Shape { get; set; }
            public List<Shape> Shapes { get; set; }
        }
        [SkvDerivedType(typeof(Dog), "dog")]
        [SkvRecord("animals")]
        public class Animal { [SkvKey] public int Id { get; set; } [SkvIndex] public string Name { get; set; } [SkvIndex(Unique = true)] public long? Chip { get; set; } }
        public sealed class Dog : Animal { public int Barks { get; set; } }
        """;

    private const string Use = """
        public static class Use
        {
            public static object Run(Db db, ISkvWriteTransaction tx) => new object[]
            {
                db.Things.ByScore.Find(1), db.Things.ByBig.Range(1L, 2L), db.Things.ByTag.Exists(Guid.Empty),
                db.Things.ByTicket.Get(Guid.Empty), db.Things.ByTicket.Get(tx, Guid.Empty), db.Things.ByMaybe.FindAsync(3L),
                db.Things.Byclass.Find("x"), db.Things.Byevent.Get("y"), db.Drawings.ByCode.GetAsync("c"), db.Drawings.ByOwner.RangeAsync("a", "b"),
                db.Things.Get(1, 2L), db.Things.WithId(1), db.Animals.ByName.Find("rex"), db.Animals.ByChip.Get(7L),
            };
        }
        """;

    [Fact]
    public Task In_a_namespace_with_nullable_enabled() => VerifyDiagnosticsAsync(Usings + "namespace App.Models;\n" + Model + "\n[SkvDatabase(typeof(Thing), typeof(Drawing), typeof(Animal))] public sealed partial class Db;\n" + Use);

    [Fact]
    public Task In_the_global_namespace_of_a_consumer_with_nullable_disabled() => VerifyDiagnosticsAsync("#nullable disable\n" + Usings + Model + "\n[SkvDatabase(typeof(Thing), typeof(Drawing), typeof(Animal))] public sealed partial class Db;\n" + Use);

    [Fact]
    public Task Database_nested_in_a_class_of_another_namespace() => VerifyDiagnosticsAsync(Usings + "namespace App.Models { " + Model + " }\nnamespace App.Data { using App.Models; public static partial class Outer { [SkvDatabase(typeof(Thing), typeof(Drawing), typeof(Animal))] public sealed partial class Db; } }\n"
        + Use.Replace("(Db db", "(App.Data.Outer.Db db").Replace("public static class Use", "namespace App.Use { using App.Models; public static class Use") + "}\n");

    [Fact]
    public Task With_the_lowest_supported_language_version()
    {
        var test = new GeneratorTest
        {
            TestCode = Usings + "namespace App.Models;\n" + Model + "\n[SkvDatabase(typeof(Thing), typeof(Drawing), typeof(Animal))] public sealed partial class Db { }\n" + Use,
            TestBehaviors = Microsoft.CodeAnalysis.Testing.TestBehaviors.SkipGeneratedSourcesCheck,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp11,
        };
        return test.RunAsync();
    }
}
