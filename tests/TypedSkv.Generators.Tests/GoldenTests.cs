using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedSkv.Generators.Tests;

/// <summary>
/// The generated source for a representative model, compared with Golden/ShopDb.generated.txt. After an intended
/// change to the emitter, run the tests with TYPEDSKV_UPDATE_GOLDEN=1 to rewrite the file, and review the diff.
/// </summary>
public class GoldenTests
{
    private static string ReadResource(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Golden." + name)
            ?? throw new InvalidOperationException("missing embedded resource " + name);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [Fact]
    public async Task Generated_source_matches_golden_file()
    {
        string model = ReadResource("ShopModel.txt");
        string expected = ReadResource("ShopDb.generated.txt");

        if (Environment.GetEnvironmentVariable("TYPEDSKV_UPDATE_GOLDEN") == "1")
        {
            var compilation = CSharpCompilation.Create("golden", [CSharpSyntaxTree.ParseText(model, TestReferences.ParseOptions)],
                TestReferences.All, TestReferences.CompilationOptions);
            var driver = CSharpGeneratorDriver.Create([new SkvGenerator().AsSourceGenerator()], parseOptions: TestReferences.ParseOptions);
            string actual = driver.RunGenerators(compilation).GetRunResult().GeneratedTrees.Single().GetText().ToString();
            string path = Path.Combine(FindProjectDirectory(), "Golden", "ShopDb.generated.txt");
            File.WriteAllText(path, actual);
            expected = actual;
        }

        await GeneratorTest.VerifyGeneratedAsync(model, "Shop.ShopDb.g.cs", expected);
    }

    private static string FindProjectDirectory([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;
}
