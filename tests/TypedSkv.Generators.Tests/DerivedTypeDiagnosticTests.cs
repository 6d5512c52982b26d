using Microsoft.CodeAnalysis;
using static TypedSkv.Generators.Tests.GeneratorTest;

namespace TypedSkv.Generators.Tests;

/// <summary>SKV028: every misuse of [SkvDerivedType] is an error at the attribute, never broken generated code.</summary>
public class DerivedTypeDiagnosticTests
{
    private const string Usings = "using System;\nusing System.Collections.Generic;\nusing TypedSkv;\n";

    [Fact]
    public Task SKV028_every_misuse_of_SkvDerivedType() => VerifyDiagnosticsAsync(Usings + """
        public class Other { }
        public abstract class Middle : Shape { }
        public sealed class Circle : Shape { public double R { get; set; } }
        public sealed class Box : Shape { }
        public class Nested : Shape { }
        public sealed class Deeper : Nested { }
        [SkvDerivedType(typeof(Deeper), "deeper")] public class NestedList : Shape { }
        [{|#0:SkvDerivedType(typeof(Other), "other")|}]
        [{|#1:SkvDerivedType(typeof(Middle), "middle")|}]
        [SkvDerivedType(typeof(Circle), "circle")]
        [{|#2:SkvDerivedType(typeof(Box), "circle")|}]
        [{|#3:SkvDerivedType(typeof(Circle), "round")|}]
        [{|#4:SkvDerivedType(typeof(Nested), "")|}]
        [{|#5:SkvDerivedType(typeof(NestedList), "list")|}]
        public abstract class Shape { }
        [{|#6:SkvDerivedType(typeof(Leaf), "leaf")|}] public sealed class Sealed { }
        public class Leaf { }
        [SkvRecord("drawings")] public sealed record Drawing([property: SkvKey] int Id, Shape Main, Sealed S);
        [SkvDatabase(typeof(Drawing))] public sealed partial class Db;
        """,
        Diagnostic("SKV028").WithLocation(0).WithArguments("Shape", "Other", "other", "'Other' does not derive from 'Shape'"),
        Diagnostic("SKV028").WithLocation(1).WithArguments("Shape", "Middle", "middle", "the derived type must be a non-abstract class (a closed generic type is fine)"),
        Diagnostic("SKV028").WithLocation(2).WithArguments("Shape", "Box", "circle", "another derived type of 'Shape' has this discriminator"),
        Diagnostic("SKV028").WithLocation(3).WithArguments("Shape", "Circle", "round", "the derived type is listed twice"),
        Diagnostic("SKV028").WithLocation(4).WithArguments("Shape", "Nested", "", "the discriminator is empty"),
        Diagnostic("SKV028").WithLocation(5).WithArguments("Shape", "NestedList", "list", "'NestedList' has its own [SkvDerivedType] list; list every derived type on 'Shape' instead"),
        Diagnostic("SKV028").WithLocation(6).WithArguments("Sealed", "Leaf", "leaf", "the annotated type must be a class that is not sealed"));

    [Fact]
    public Task SKV028_a_private_derived_type_cannot_be_created_by_generated_code() => VerifyDiagnosticsAsync(Usings + """
        public class Holder { private sealed class Hidden : Shape { } [{|#0:SkvDerivedType(typeof(Hidden), "hidden")|}] public class Shape { } }
        [SkvRecord("drawings")] public sealed record Drawing([property: SkvKey] int Id, Holder.Shape Main);
        [SkvDatabase(typeof(Drawing))] public sealed partial class Db;
        """,
        Diagnostic("SKV028").WithLocation(0).WithArguments("Shape", "Holder.Hidden", "hidden", "the derived type must be public or internal (the generated code creates it)"));

    [Fact]
    public Task An_abstract_type_without_derived_types_is_SKV003() => VerifyDiagnosticsAsync(Usings + """
        public abstract class Shape { }
        [SkvRecord("drawings")] public sealed record Drawing([property: SkvKey] int Id, Shape {|#0:Main|});
        [SkvDatabase(typeof(Drawing))] public sealed partial class Db;
        """,
        Diagnostic("SKV003").WithLocation(0).WithArguments("Main", "Shape", "abstract types cannot be created when reading (list the derived types with [SkvDerivedType])"));

    [Fact]
    public Task A_valid_hierarchy_generates_code_that_compiles() => VerifyDiagnosticsAsync(Usings + """
        [SkvDerivedType(typeof(Circle), "circle")] [SkvDerivedType(typeof(Ring), "ring")]
        public abstract class Shape { public string Label { get; set; } = ""; }
        public class Circle : Shape { public double R { get; set; } }
        public sealed class Ring : Circle { public double Inner { get; set; } [SkvExtensionData] public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; set; } }
        [SkvRecord("drawings")] public sealed record Drawing([property: SkvKey] int Id, Shape Main, List<Shape> All, Circle C, Dictionary<string, Shape> ByName);
        [SkvDatabase(typeof(Drawing))] public sealed partial class Db;
        """);
}
