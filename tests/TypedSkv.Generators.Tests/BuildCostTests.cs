using System.Text;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedSkv.Generators.Tests;

/// <summary>
/// Generated code size per record for the issue-15 model (records of 8 properties with one index each). Before the
/// shared runtime helpers the generator wrote 131 lines (6028 bytes) per record of this model (measured with this test on
/// commit 06a581b); the shared helpers brought it to 43 lines (3679 bytes). The collection classes now override the
/// runtime's KeyOf/AppendKey/WriteRecord/ReadRecord/AddIndexValues instead of passing lambdas and method groups to its
/// constructor: 5 more lines (4218 bytes) that compile with less work (the Roslyn compiler allocated 95 MB instead of
/// 104 MB for the generated code of 200 records; docs/typed-access.md, "Build cost"). Index lookups inside a transaction
/// (FindBy/ExistsBy/RangeBy with an ISkvWriteTransaction) add 6 lines for the one index and the stored property names
/// (for FindUnknownProperties) one: 55 lines, 5400 bytes. One By{Property} accessor per index (the runtime's SkvIndex)
/// instead of those six methods, and one call per written property: 45 lines, 3615 bytes. The budget guards that size.
/// </summary>
public class BuildCostTests
{
    internal static string Model(int records)
    {
        var sb = new StringBuilder("using System;\nusing TypedSkv;\nnamespace Bench;\n");
        for (int i = 0; i < records; i++)
        {
            sb.Append($"[SkvRecord(\"r{i}\")] public sealed record R{i}([property: SkvKey] int Id, string Name, int Age, long Total, bool Active, DateTime When, decimal Price, [property: SkvIndex] string Code);\n");
        }
        sb.Append("[SkvDatabase(").Append(string.Join(", ", Enumerable.Range(0, records).Select(i => $"typeof(R{i})"))).Append(")] public sealed partial class BenchDb;\n");
        return sb.ToString();
    }

    internal static (int Lines, int Bytes) Generate(int records)
    {
        var compilation = CSharpCompilation.Create("cost", [CSharpSyntaxTree.ParseText(Model(records), TestReferences.ParseOptions)],
            TestReferences.All, TestReferences.CompilationOptions);
        GeneratorDriver driver = CSharpGeneratorDriver.Create([new SkvGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions);
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        Assert.Empty(diagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        string text = driver.GetRunResult().GeneratedTrees.Single().ToString();
        return (text.Split('\n').Length, Encoding.UTF8.GetByteCount(text));
    }

    [Fact]
    public void Generated_code_per_record_stays_within_46_lines_and_3700_bytes()
    {
        var (lines10, bytes10) = Generate(10);
        var (lines20, bytes20) = Generate(20);
        double linesPerRecord = (lines20 - lines10) / 10.0, bytesPerRecord = (bytes20 - bytes10) / 10.0;
        Console.WriteLine($"generated per record: {linesPerRecord} lines, {bytesPerRecord} bytes");
        Assert.InRange(linesPerRecord, 1, 46);
        Assert.InRange(bytesPerRecord, 1, 3700);
    }
}
