using Microsoft.CodeAnalysis;
using static TypedSkv.Generators.Tests.GeneratorTest;

namespace TypedSkv.Generators.Tests;

/// <summary>
/// Issue 15: models that stored data silently wrong, generated code that did not compile, and misleading
/// diagnostics. Each case either compiles and works or gets its SKV diagnostic; no CS error ever comes from
/// generated code.
/// </summary>
public class Issue15DiagnosticTests
{
    private const string Usings = "using System;\nusing System.Collections.Generic;\nusing TypedSkv;\n";

    // ---- silent data loss

    [Fact]
    public Task SKV018_two_properties_stored_under_one_name() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] public int Id { get; set; }
            [SkvPropertyName("name")] public string First { get; set; } = "";
            public string {|#0:Name|} { get; set; } = "";
        }
        public sealed class Inner { public int A { get; set; } [SkvPropertyName("a")] public int {|#1:B|} { get; set; } }
        [SkvRecord("others")] public sealed record Other([property: SkvKey] int Id, Inner Inner);
        [SkvDatabase(typeof(Person), typeof(Other))] public sealed partial class Db;
        """,
        Diagnostic("SKV018").WithLocation(0).WithArguments("First", "Name", "Person", "name"),
        Diagnostic("SKV018").WithLocation(1).WithArguments("A", "B", "Inner", "a"));

    [Fact]
    public Task SKV019_public_field_is_not_stored() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] public int Id { get; set; }
            public string {|#0:Nick|} = "";
            [SkvIgnore] public int Cache;
            public const int Max = 3;
            public static int Counter;
            public readonly int {|#1:Fixed|} = 1;
        }
        [SkvDatabase(typeof(Person))] public sealed partial class Db;
        """,
        Diagnostic("SKV019", DiagnosticSeverity.Warning).WithLocation(0).WithArguments("Nick", "Person"),
        Diagnostic("SKV019", DiagnosticSeverity.Warning).WithLocation(1).WithArguments("Fixed", "Person"));

    [Fact]
    public Task SKV020_key_or_index_on_a_property_that_is_not_public() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] internal int {|#0:Id|} { get; set; }
            public string Name { get; set; } = "";
        }
        [SkvRecord("pets")]
        public sealed class Pet
        {
            [SkvKey] public int Id { get; set; }
            [SkvIndex] private string {|#1:Tag|} { get; set; } = "";
            [SkvIndex] public string {|#2:Owner|} { private get; set; } = "";
        }
        [SkvDatabase(typeof(Person), typeof(Pet))] public sealed partial class Db;
        """,
        Diagnostic("SKV020").WithLocation(0).WithArguments("SkvKey", "Id", "internal"),
        Diagnostic("SKV020").WithLocation(1).WithArguments("SkvIndex", "Tag", "private"),
        Diagnostic("SKV020").WithLocation(2).WithArguments("SkvIndex", "Owner", "without a public getter"));

    [Fact]
    public Task Extension_data_member_compiles() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] public int Id { get; set; }
            [SkvExtensionData] public Dictionary<string, System.Text.Json.JsonElement>? Extra { get; set; }
        }
        [SkvDatabase(typeof(Person))] public sealed partial class Db;
        """);

    [Fact]
    public Task SKV025_extension_data_of_the_wrong_type() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] public int Id { get; set; }
            [SkvExtensionData] public Dictionary<string, string>? {|#0:Extra|} { get; set; }
        }
        [SkvDatabase(typeof(Person))] public sealed partial class Db;
        """,
        Diagnostic("SKV025").WithLocation(0).WithArguments("Extra", "System.Collections.Generic.Dictionary<string, string>?"));

    // ---- generated code that did not compile

    [Fact]
    public Task SKV021_required_member_that_is_not_stored() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("people")]
        public sealed class Person
        {
            [SkvKey] public int Id { get; set; }
            [SkvIgnore] public required string {|#0:Temp|} { get; set; }
        }
        [SkvDatabase(typeof(Person))] public sealed partial class Db;
        """,
        Diagnostic("SKV021").WithLocation(0).WithArguments("Temp", "Person", "it is marked [SkvIgnore]"));

    [Fact]
    public Task SKV022_static_abstract_or_primary_constructor_database() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvDatabase(typeof(User))] public static partial class {|#0:StaticDb|};
        [SkvDatabase(typeof(User))] public abstract partial class {|#1:AbstractDb|};
        [SkvDatabase(typeof(User))] public sealed partial class {|#2:PrimaryDb|}(int x) { public int X => x; }
        """,
        Diagnostic("SKV022").WithLocation(0).WithArguments("StaticDb", "static"),
        Diagnostic("SKV022").WithLocation(1).WithArguments("AbstractDb", "abstract"),
        Diagnostic("SKV022").WithLocation(2).WithArguments("PrimaryDb", "declared with a primary constructor"));

    [Fact]
    public Task Private_record_nested_in_the_database_class_compiles() => VerifyDiagnosticsAsync(Usings + """
        public sealed partial class Outer
        {
            [SkvRecord("secrets")] private sealed record Secret([property: SkvKey] int Id, string Value);
            [SkvDatabase(typeof(Secret))] private sealed partial class Db;
            public static string RoundTrip(TypedSkv.SkvStore store)
            {
                var db = new Db(store);
                db.Secrets.Put(new Secret(1, "x"));
                return db.Secrets.Get(1)!.Value;
            }
        }
        """);

    [Fact]
    public Task SKV027_private_record_in_a_database_that_is_not_private() => VerifyDiagnosticsAsync(Usings + """
        public sealed partial class Outer
        {
            [SkvRecord("secrets")] private sealed record Secret([property: SkvKey] int Id, string Value);
            [SkvDatabase(typeof({|#0:Secret|}))] internal sealed partial class Db;
        }
        """,
        Diagnostic("SKV027").WithLocation(0).WithArguments("Outer.Secret", "Db"));

    [Fact]
    public Task SKV024_collections_that_generate_the_same_member() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        [SkvRecord("users-collection")] public sealed record UserList([property: SkvKey] int Id);
        [SkvRecord("a_b")] public sealed record A([property: SkvKey] int Id);
        [SkvRecord("a-b")] public sealed record B([property: SkvKey] int Id);
        [SkvDatabase(typeof(User), typeof({|#0:UserList|}), typeof(A), typeof({|#1:B|}))] public sealed partial class Db;
        """,
        Diagnostic("SKV024").WithLocation(0).WithArguments("users-collection", "users", "UsersCollection", "Db"),
        Diagnostic("SKV024").WithLocation(1).WithArguments("a-b", "a_b", "AB", "Db"));

    [Fact]
    public Task Index_property_named_Transaction_compiles() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("payments")]
        public sealed record Payment([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Transaction, [property: SkvIndex] string? Value);
        [SkvDatabase(typeof(Payment))] public sealed partial class Db;
        """);

    [Fact]
    public Task Index_properties_named_like_generated_parameters_compile() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("windows")]
        public sealed record Window([property: SkvKey] int Id, [property: SkvIndex] int FromInclusive, [property: SkvIndex] long ToExclusive,
            [property: SkvIndex(Unique = true)] string Limit, [property: SkvIndex] Guid? After, [property: SkvIndex] string? Value, [property: SkvIndex] string? Entries);
        [SkvDatabase(typeof(Window))] public sealed partial class Db;
        """);

    [Fact]
    public Task SKV023_language_version_below_11()
    {
        var test = new GeneratorTest
        {
            TestCode = Usings + """
                [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
                [SkvDatabase(typeof(User))] public sealed partial class {|#0:Db|} { }
                """,
            TestBehaviors = Microsoft.CodeAnalysis.Testing.TestBehaviors.SkipGeneratedSourcesCheck,
            LanguageVersion = Microsoft.CodeAnalysis.CSharp.LanguageVersion.CSharp10,
        };
        test.ExpectedDiagnostics.Add(Diagnostic("SKV023").WithLocation(0).WithArguments("10.0"));
        return test.RunAsync();
    }

    [Fact]
    public Task Generated_code_needs_no_xml_comments_from_a_documented_project()
    {
        var test = new GeneratorTest
        {
            TestCode = Usings + """
                /// <summary>A user.</summary>
                /// <param name="Id">Key.</param>
                /// <param name="Email">Mail.</param>
                [SkvRecord("users")] public sealed record User([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Email);
                [SkvDatabase(typeof(User))] public sealed partial class Db;
                """,
            TestBehaviors = Microsoft.CodeAnalysis.Testing.TestBehaviors.SkipGeneratedSourcesCheck,
            DocumentationMode = DocumentationMode.Diagnose,
            CompilerDiagnostics = Microsoft.CodeAnalysis.Testing.CompilerDiagnostics.Warnings,
        };
        test.SolutionTransforms.Add((solution, projectId) =>
        {
            var options = solution.GetProject(projectId)!.CompilationOptions!;
            return solution.WithProjectCompilationOptions(projectId, options.WithSpecificDiagnosticOptions(
                options.SpecificDiagnosticOptions.SetItem("CS1591", ReportDiagnostic.Error)));
        });
        return test.RunAsync();
    }

    // ---- misleading diagnostics

    [Fact]
    public Task Database_nested_in_a_generic_class_compiles() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id);
        public partial class Outer<T> where T : class
        {
            [SkvDatabase(typeof(User))] public sealed partial class Db;
        }
        """);

    [Fact]
    public Task Sets_are_stored() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")]
        public sealed record User([property: SkvKey] int Id, ISet<string> Tags, HashSet<int> Codes, IReadOnlySet<Guid>? Links);
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """);

    [Fact]
    public Task SKV003_lists_the_supported_System_types() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id, System.Text.StringBuilder {|#0:Notes|});
        [SkvDatabase(typeof(User))] public sealed partial class Db;
        """,
        Diagnostic("SKV003").WithLocation(0).WithArguments("Notes", "System.Text.StringBuilder",
            "of the System types only DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, Guid, Uri, Half, Int128, UInt128, Nullable<T>, arrays, List<T>, HashSet<T>, ImmutableArray<T>, ReadOnlyMemory<byte>, Dictionary<string, T> and their interfaces are supported (or give the property a [SkvConverter])"));

    [Fact]
    public Task Generic_record_listed_closed_has_no_false_SKV007() => VerifyDiagnosticsAsync(Usings + """
        [SkvRecord("boxes")] public sealed record Box<T>([property: SkvKey] int Id, T Value);
        [SkvDatabase(typeof(Box<string>))] public sealed partial class Db;
        """);

    [Fact]
    public void Every_descriptor_has_a_help_link_into_docs_diagnostics()
    {
        var descriptors = typeof(SkvGenerator).Assembly.GetType("TypedSkv.Generators.DiagnosticDescriptors")!
            .GetFields().Select(f => (DiagnosticDescriptor)f.GetValue(null)!).ToList();
        string docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "diagnostics.md"));
        Assert.NotEmpty(descriptors);
        Assert.Equal(descriptors.Count, descriptors.Select(d => d.Id).Distinct().Count());
        foreach (var d in descriptors)
        {
            // one link scheme (relative to the repository and package root), an anchor that exists, and its section
            string anchor = d.Id.ToLowerInvariant();
            Assert.Equal("docs/diagnostics.md#" + anchor, d.HelpLinkUri);
            Assert.True(File.Exists(Path.Combine(RepoRoot(), d.HelpLinkUri.Split('#')[0])), d.HelpLinkUri);
            Assert.Contains($"<a id=\"{anchor}\"></a>\n\n## {d.Id}: {d.Title}\n", docs.Replace("\r\n", "\n"));
        }
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
