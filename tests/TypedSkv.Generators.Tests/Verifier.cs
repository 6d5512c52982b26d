using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Microsoft.CodeAnalysis.Text;

namespace TypedSkv.Generators.Tests;

/// <summary>SourceGenerators.Testing harness with offline references, nullable enabled and C# preview.</summary>
internal sealed class GeneratorTest : CSharpSourceGeneratorTest<SkvGenerator, DefaultVerifier>
{
    public GeneratorTest()
    {
        ReferenceAssemblies = TestReferences.None;
        TestState.AdditionalReferences.AddRange(TestReferences.All);
    }

    /// <summary>The C# version the test compiles with (default: preview).</summary>
    public LanguageVersion LanguageVersion { get; init; } = LanguageVersion.Preview;

    /// <summary>With <see cref="DocumentationMode.Diagnose"/>, missing XML comments (CS1591) are reported, as with GenerateDocumentationFile.</summary>
    public DocumentationMode DocumentationMode { get; init; } = DocumentationMode.Parse;

    protected override ParseOptions CreateParseOptions() => TestReferences.ParseOptions.WithLanguageVersion(LanguageVersion).WithDocumentationMode(DocumentationMode);

    protected override CompilationOptions CreateCompilationOptions() => TestReferences.CompilationOptions;

    /// <summary>Runs the generator on <paramref name="source"/> expecting exactly <paramref name="expected"/> (markup in the source) and not checking generated files.</summary>
    public static Task VerifyDiagnosticsAsync(string source, params DiagnosticResult[] expected)
    {
        var test = new GeneratorTest
        {
            TestCode = source,
            TestBehaviors = TestBehaviors.SkipGeneratedSourcesCheck,
        };
        test.ExpectedDiagnostics.AddRange(expected);
        return test.RunAsync();
    }

    /// <summary>Runs the generator and compares its one generated file with <paramref name="expected"/>.</summary>
    public static Task VerifyGeneratedAsync(string source, string hintName, string expected)
    {
        var test = new GeneratorTest { TestCode = source };
        test.TestState.GeneratedSources.Add((typeof(SkvGenerator), hintName, SourceText.From(expected, Encoding.UTF8)));
        return test.RunAsync();
    }

    public static DiagnosticResult Diagnostic(string id, DiagnosticSeverity severity = DiagnosticSeverity.Error) => new(id, severity);
}
