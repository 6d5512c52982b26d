using Microsoft.CodeAnalysis;
using static TypedSkv.Generators.Tests.GeneratorTest;

namespace TypedSkv.Generators.Tests;

/// <summary>Every diagnostic, at its markup location, with its message arguments.</summary>
public class DiagnosticTests
{
    private const string Usings = "using System;\nusing System.Collections.Generic;\nusing TypedSkv;\n";

    [Fact]
    public Task SKV001_record_without_key() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record {|#0:User|}(int Id, string Name);
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """,
        Diagnostic("SKV001").WithLocation(0).WithArguments("User"));

    [Fact]
    public Task SKV002_unsupported_key_type() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("prices")] public sealed record Price([property: SkvKey] decimal {|#0:Amount|});
        [SkvDatabase(typeof(Price))] public sealed partial class Db;
        """,
        Diagnostic("SKV002").WithLocation(0).WithArguments("Amount", "decimal"));

    [Fact]
    public Task SKV003_unsupported_property_type_on_the_record_and_in_a_nested_type() => VerifyDiagnosticsAsync(Usings + """
        public sealed class Settings
        {
            public Action? {|#1:OnChange|} { get; set; }
        }
        [SkvRecord("users")]
        public sealed record User([property: SkvKey] int Id, Version {|#0:Homepage|}, Settings Settings);
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """,
        Diagnostic("SKV003").WithLocation(1).WithArguments("OnChange", "System.Action", "interfaces, delegates, pointers and type parameters cannot be stored"),
        Diagnostic("SKV003").WithLocation(0).WithArguments("Homepage", "System.Version", SkvGenerator.Parser.SupportedSystemTypes));

    [Fact]
    public Task SKV003_in_a_nested_type_shared_by_two_records_is_reported_once() => VerifyDiagnosticsAsync(Usings + """
        public sealed class Shared { public IDisposable? {|#0:Handle|} { get; set; } }
        [SkvRecord("a")] public sealed record A([property: SkvKey] int Id, Shared S);
        [SkvRecord("b")] public sealed record B([property: SkvKey] int Id, Shared S);
        [SkvDatabase(typeof(A), typeof(B))] public sealed partial class Db;
        """,
        Diagnostic("SKV003").WithLocation(0).WithArguments("Handle", "System.IDisposable", "interfaces, delegates, pointers and type parameters cannot be stored"));

    [Fact]
    public Task SKV004_duplicate_collection_name() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")] public sealed record User([property: SkvKey] int Id);
        [SkvRecord("people")] public sealed record Admin([property: SkvKey] int Id);
        [SkvDatabase(typeof(User), typeof({|#0:Admin|}))] public sealed partial class Db;
        """,
        Diagnostic("SKV004").WithLocation(0).WithArguments("User", "Admin", "people", "Db"));

    [Fact]
    public Task SKV005_database_not_partial() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvDatabase(typeof(User))] public sealed class {|#0:Db|};
        """,
        Diagnostic("SKV005").WithLocation(0).WithArguments("Db"));

    [Fact]
    public Task SKV005_database_nested_in_a_non_partial_type() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        public static class Outer
        {
            [SkvDatabase(typeof(User))] public sealed partial class {|#0:Db|};
        }
        """,
        Diagnostic("SKV005").WithLocation(0).WithArguments("Db"));

    [Fact]
    public Task SKV006_nullable_key() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int? {|#0:Id|});
        [SkvRecord("tags")] public sealed record Tag([property: SkvKey] string? {|#1:Name|});
        [SkvDatabase(typeof(User), typeof(Tag))] public sealed partial class Db;
        """,
        Diagnostic("SKV006").WithLocation(0).WithArguments("Id", "int?"),
        Diagnostic("SKV006").WithLocation(1).WithArguments("Name", "string?"));

    [Fact]
    public Task SKV007_record_not_listed_in_any_database() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvRecord("orphans")] public sealed record {|#0:Orphan|}([property: SkvKey] int Id);
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """,
        Diagnostic("SKV007", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Orphan", "orphans"));

    [Fact]
    public Task SKV007_can_be_suppressed_with_pragma() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        #pragma warning disable SKV007
        [SkvRecord("drafts")] public sealed record Draft([property: SkvKey] int Id);
        #pragma warning restore SKV007
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """);

    [Fact]
    public Task SKV008_listed_type_without_SkvRecord() => VerifyDiagnosticsAsync(Usings + """
        public sealed record Plain(int Id);
        [SkvDatabase(typeof({|#0:Plain|}))] public sealed partial class Db;
        """,
        Diagnostic("SKV008").WithLocation(0).WithArguments("Plain"));

    [Fact]
    public Task SKV009_invalid_collection_names() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord({|#0:"us/ers"|})] public sealed record User([property: SkvKey] int Id);
        [SkvRecord({|#1:""|})] public sealed record Tag([property: SkvKey] int Id);
        [SkvRecord({|#2:"a#b"|})] public sealed record Note([property: SkvKey] int Id);
        [SkvDatabase(typeof(User), typeof(Tag), typeof(Note))] public sealed partial class Db;
        """,
        Diagnostic("SKV009").WithLocation(0).WithArguments("us/ers"),
        Diagnostic("SKV009").WithLocation(1).WithArguments(""),
        Diagnostic("SKV009").WithLocation(2).WithArguments("a#b"));

    [Fact]
    public Task SKV010_two_key_parts_with_the_same_order() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("lines")]
        public sealed record Line([property: SkvKey(Order = 1)] int A, [property: {|#0:SkvKey(Order = 1)|}] string B);
        [SkvDatabase(typeof(Line))] public sealed partial class Db;
        """,
        Diagnostic("SKV010").WithLocation(0).WithArguments("A", "B", "1"));

    [Fact]
    public Task SKV011_index_on_unsupported_type() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("items")]
        public sealed record Item([property: SkvKey] int Id, [property: SkvIndex] decimal {|#0:Price|}, [property: SkvIndex] List<string> {|#1:Tags|});
        [SkvDatabase(typeof(Item))] public sealed partial class Db;
        """,
        Diagnostic("SKV011").WithLocation(0).WithArguments("Price", "decimal"),
        Diagnostic("SKV011").WithLocation(1).WithArguments("Tags", "System.Collections.Generic.List<string>"));

    [Fact]
    public Task SKV012_type_without_a_usable_constructor() => VerifyDiagnosticsAsync(Usings + """
        public sealed class {|#0:Money|}
        {
            public Money(long cents) => Amount = cents / 100m;
            public decimal Amount { get; }
        }
        [SkvRecord("accounts")] public sealed record Account([property: SkvKey] int Id, Money Balance);
        [SkvDatabase(typeof(Account))] public sealed partial class Db;
        """,
        Diagnostic("SKV012").WithLocation(0).WithArguments("Money"));

    [Fact]
    public Task SKV013_record_listed_twice() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvDatabase(typeof(User), typeof({|#0:User|}))] public sealed partial class Db;
        """,
        Diagnostic("SKV013", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("User", "Db"));

    [Fact]
    public Task SKV014_generic_database() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvDatabase(typeof(User))] public sealed partial class {|#0:Db|}<T>;
        """,
        Diagnostic("SKV014").WithLocation(0).WithArguments("Db"));

    [Fact]
    public Task SKV015_collection_property_clashes_with_a_generated_member() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("store")] public sealed record Item([property: SkvKey] int Id);
        [SkvRecord("db")] public sealed record Thing([property: SkvKey] int Id);
        [SkvRecord("storage")] public sealed record Kept([property: SkvKey] int Id);
        [SkvRecord("begin-write")] public sealed record Started([property: SkvKey] int Id);
        [SkvDatabase(typeof({|#0:Item|}), typeof({|#1:Thing|}), typeof({|#2:Kept|}), typeof({|#3:Started|}))] public sealed partial class Db;
        """,
        Diagnostic("SKV015").WithLocation(0).WithArguments("store", "Store", "Db"),
        Diagnostic("SKV015").WithLocation(1).WithArguments("db", "Db", "Db"),
        Diagnostic("SKV015").WithLocation(2).WithArguments("storage", "Storage", "Db"),
        Diagnostic("SKV015").WithLocation(3).WithArguments("begin-write", "BeginWrite", "Db"));

    [Fact]
    public Task SKV016_key_property_that_is_not_stored() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("a")] public sealed class A
        {
            [SkvKey, SkvIgnore] public int {|#0:Id|} { get; set; }
        }
        [SkvRecord("b")] public sealed class B
        {
            [SkvKey] public Guid {|#1:Id|} { get; } = Guid.NewGuid();
            public string Name { get; set; } = "";
        }
        [SkvRecord("c")] public sealed class C
        {
            public string First { get; set; } = "";
            [SkvKey] public string Computed => First.ToUpperInvariant(); // computed from stored data: fine
        }
        [SkvDatabase(typeof(A), typeof(B), typeof(C))] public sealed partial class Db;
        """,
        Diagnostic("SKV016").WithLocation(0).WithArguments("Id", "it is marked [SkvIgnore]"),
        Diagnostic("SKV016").WithLocation(1).WithArguments("Id", "it has no setter and no matching constructor parameter"));

    [Fact]
    public Task SKV017_property_whose_setter_the_reader_cannot_call() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("a")] public sealed class A
        {
            [SkvKey] public int Id { get; set; }
            public string {|#0:Name|} { get; private set; } = "";
            public string Upper => Name.ToUpperInvariant(); // computed: not stored, no warning
            public void Rename(string name) => Name = name;
        }
        [SkvDatabase(typeof(A))] public sealed partial class Db;
        """,
        Diagnostic("SKV017", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Name", "A"));

    [Fact]
    public Task Composite_keys_named_like_keywords_or_tuple_members_compile() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("k")] public sealed record K([property: SkvKey(Order = 0)] int @class, [property: SkvKey(Order = 1)] string @event);
        [SkvRecord("t")] public sealed record T([property: SkvKey(Order = 0)] int Rest, [property: SkvKey(Order = 1)] int Item1);
        [SkvRecord("u")] public sealed record U([property: SkvKey(Order = 0)] int Item1, [property: SkvKey(Order = 1)] int Item2);
        [SkvDatabase(typeof(K), typeof(T), typeof(U))] public sealed partial class Db;
        """);

    [Fact]
    public Task Valid_model_has_no_diagnostics_and_compiles() => VerifyDiagnosticsAsync(Usings + """
        namespace App
        {
            public enum Kind { A, B }
            public sealed record Address(string City, string? Zip = null);
            [SkvRecord("users")]
            public sealed record User([property: SkvKey] Guid Id, [property: SkvIndex(Unique = true)] string Email, Kind Kind,
                List<Address> Addresses, Dictionary<string, long?> Scores, [property: SkvIndex] long? Group);
            [SkvRecord("lines")]
            public sealed record Line([property: SkvKey(Order = 2)] int No, [property: SkvKey(Order = 1)] string Order, decimal Amount);
            public static partial class Outer
            {
                [SkvDatabase(typeof(User), typeof(Line))] internal sealed partial class Db;
            }

            // A public database over an internal record: the collection is internal (no CS0060/CS0053).
            [SkvRecord("secrets")] internal sealed record Secret([property: SkvKey] string Name, byte[] Value);
            [SkvDatabase(typeof(Secret), typeof(User))] public sealed partial class PublicDb;
        }
        """);
}
