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

public class IndexAccessorAccessibilityTests
{
    [Fact]
    public Task Internal_record_with_indexes_in_a_public_database() => VerifyDiagnosticsAsync("""
        using System;
        using TypedSkv;
        namespace App;
        [SkvRecord("secrets")]
        internal sealed record Secret([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Code, [property: SkvIndex] Guid? Owner);
        [SkvDatabase(typeof(Secret))] public sealed partial class Db;
        internal static class Use { public static object Run(Db db) => db.Secrets.ByCode.Get("c") ?? (object)db.Secrets.ByOwner.Find(Guid.Empty); }
        """);
}

/// <summary>
/// A stored name that is not valid UTF-16 cannot be written as JSON: with the names pre-encoded at start-up
/// (SkvJsonMembers, JsonEncodedText) it compiled and then broke every collection of the database with a
/// TypeInitializationException; before, its UTF-8 literal failed to compile inside generated code (CS9026).
/// </summary>
public class InvalidStoredNameTests
{
    [Fact]
    public Task SKV029_property_name_with_a_lone_surrogate() => VerifyDiagnosticsAsync("""
        using TypedSkv;
        public sealed class Inner { [SkvPropertyName("b\uDC00")] public int {|#1:B|} { get; set; } }
        [SkvRecord("users")]
        public sealed record User([property: SkvKey] int Id, [property: SkvPropertyName("a\uD800")] string {|#0:Name|}, Inner Inner);
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """,
        Diagnostic("SKV029").WithLocation(0).WithArguments("Name", "User"),
        Diagnostic("SKV029").WithLocation(1).WithArguments("B", "Inner"));

    [Fact]
    public void The_runtime_refuses_such_a_name_when_the_members_table_is_built() =>
        Assert.ThrowsAny<ArgumentException>(() => new TypedSkv.Typed.SkvJsonMembers(false, "id", "a\uD800"));
}
