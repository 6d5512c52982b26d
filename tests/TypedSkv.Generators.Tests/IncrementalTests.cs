using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace TypedSkv.Generators.Tests;

/// <summary>The pipeline caches: equal specs re-emit nothing; a real change re-emits.</summary>
public class IncrementalTests
{
    private const string Records = """
        using TypedSkv;
        namespace App;
        [SkvRecord("users")] public sealed record User([property: SkvKey] int Id, string Name, [property: SkvIndex(Unique = true)] string Email);
        [SkvRecord("notes")] public sealed record Note([property: SkvKey] string Path, string Body);
        """;

    private const string Database = """
        using TypedSkv;
        namespace App;
        [SkvDatabase(typeof(User), typeof(Note))] public sealed partial class AppDb;
        """;

    private const string Unrelated = """
        namespace App;
        public static class Helpers { public static int Twice(int x) => x * 2; }
        """;

    private static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create("incremental",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, TestReferences.ParseOptions, path: $"File{i}.cs")),
        TestReferences.All, TestReferences.CompilationOptions);

    private static GeneratorDriver CreateDriver() => CSharpGeneratorDriver.Create(
        [new SkvGenerator().AsSourceGenerator()],
        parseOptions: TestReferences.ParseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static IncrementalStepRunReason[] Reasons(GeneratorDriver driver, string step) =>
        NotEmpty(driver.GetRunResult().Results.Single().TrackedSteps[step]
            .SelectMany(s => s.Outputs)
            .Select(o => o.Reason)
            .ToArray());

    private static IncrementalStepRunReason[] SourceOutputReasons(GeneratorDriver driver) =>
        NotEmpty(driver.GetRunResult().Results.Single().TrackedOutputSteps
            .SelectMany(kv => kv.Value)
            .SelectMany(s => s.Outputs)
            .Select(o => o.Reason)
            .ToArray());

    private static IncrementalStepRunReason[] NotEmpty(IncrementalStepRunReason[] reasons)
    {
        Assert.NotEmpty(reasons);
        return reasons;
    }

    [Fact]
    public void Running_twice_on_the_same_compilation_is_all_cached()
    {
        var compilation = Compile(Records, Database, Unrelated);
        var driver = CreateDriver().RunGenerators(compilation);
        Assert.Single(driver.GetRunResult().GeneratedTrees);

        driver = driver.RunGenerators(compilation);
        Assert.All(Reasons(driver, SkvGenerator.StepNames.Database), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(driver, SkvGenerator.StepNames.DatabaseSpec), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(driver, SkvGenerator.StepNames.Record), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(SourceOutputReasons(driver), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
    }

    [Fact]
    public void An_unrelated_edit_leaves_the_outputs_unchanged()
    {
        var compilation = Compile(Records, Database, Unrelated);
        var driver = CreateDriver().RunGenerators(compilation);
        string before = driver.GetRunResult().GeneratedTrees.Single().ToString();

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "File2.cs");
        var edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            Unrelated.Replace("x * 2", "x + x") + "\npublic sealed class Extra { public int Value { get; set; } }\n",
            TestReferences.ParseOptions, path: "File2.cs"));
        driver = driver.RunGenerators(edited);

        // No record transform runs again (records are found per syntax tree, and only changed trees are re-read);
        // the database transform re-runs (it reads symbols), produces an equal spec, so nothing downstream runs again.
        Assert.All(Reasons(driver, SkvGenerator.StepNames.Record), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.All(Reasons(driver, SkvGenerator.StepNames.Database), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(Reasons(driver, SkvGenerator.StepNames.DatabaseSpec), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.All(SourceOutputReasons(driver), r => Assert.Contains(r, new[] { IncrementalStepRunReason.Cached, IncrementalStepRunReason.Unchanged }));
        Assert.Equal(before, driver.GetRunResult().GeneratedTrees.Single().ToString());
    }

    [Fact]
    public void A_change_to_a_record_modifies_the_output()
    {
        var compilation = Compile(Records, Database, Unrelated);
        var driver = CreateDriver().RunGenerators(compilation);

        SyntaxTree old = compilation.SyntaxTrees.Single(t => t.FilePath == "File0.cs");
        var edited = compilation.ReplaceSyntaxTree(old, CSharpSyntaxTree.ParseText(
            Records.Replace("string Name,", "string Name, int Age,"), TestReferences.ParseOptions, path: "File0.cs"));
        driver = driver.RunGenerators(edited);

        Assert.Contains(IncrementalStepRunReason.Modified, Reasons(driver, SkvGenerator.StepNames.DatabaseSpec));
        Assert.Contains(IncrementalStepRunReason.Modified, SourceOutputReasons(driver));
        Assert.Contains("\"age\"", driver.GetRunResult().GeneratedTrees.Single().ToString());
    }

    /// <summary>
    /// The pipeline's models must not hold symbols, syntax or compilations (they would defeat caching and keep
    /// compilations alive). <see cref="Model.DiagnosticInfo"/> holds a Location on purpose: it is reported
    /// on a separate output and never reaches the source emitter.
    /// </summary>
    [Fact]
    public void Models_hold_no_symbols_syntax_or_compilations()
    {
        Type[] forbidden = [typeof(ISymbol), typeof(Compilation), typeof(SyntaxNode), typeof(SemanticModel), typeof(SyntaxTree)];
        var models = typeof(SkvGenerator).Assembly.GetTypes()
            .Where(t => t.Namespace == "TypedSkv.Generators.Model" && !t.IsEnum && !t.Name.StartsWith('<'))
            .ToList();
        Assert.Contains(models, t => t.Name == "DatabaseSpec");

        var seen = new HashSet<Type>();
        var problems = new List<string>();
        void Walk(Type type, string path)
        {
            if (!seen.Add(type)) return;
            foreach (Type f in forbidden)
            {
                if (f.IsAssignableFrom(type)) problems.Add($"{path}: {type.Name}");
            }
            if (type.IsGenericType) foreach (Type arg in type.GetGenericArguments()) Walk(arg, path + "<" + arg.Name + ">");
            if (type.IsArray) Walk(type.GetElementType()!, path + "[]");
            if (type.Namespace?.StartsWith("TypedSkv.Generators", StringComparison.Ordinal) != true) return;
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                Walk(field.FieldType, path + "." + field.Name);
            }
        }
        foreach (Type model in models) Walk(model, model.Name);
        Assert.Empty(problems);
    }
}
