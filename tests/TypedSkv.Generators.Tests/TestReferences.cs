using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Testing;

namespace TypedSkv.Generators.Tests;

/// <summary>
/// Metadata references for test compilations, found offline: the SDK's targeting pack for net10.0 (the
/// testing package's ReferenceAssemblies.Net.Net100 pins a Microsoft.NETCore.App.Ref version the feed does not
/// serve), falling back to the running runtime's assemblies; plus TypedSkv.dll.
/// </summary>
internal static class TestReferences
{
    public static ImmutableArray<MetadataReference> All { get; } = Load();

    /// <summary>No package download: the references come from <see cref="All"/>.</summary>
    public static ReferenceAssemblies None { get; } = new ReferenceAssemblies("net10.0");

    public static CSharpParseOptions ParseOptions { get; } = new(LanguageVersion.Preview);

    public static CSharpCompilationOptions CompilationOptions { get; } =
        new(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable);

    private static ImmutableArray<MetadataReference> Load()
    {
        var paths = new List<string>();
        string runtimeDir = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        string dotnetRoot = Path.GetFullPath(Path.Combine(runtimeDir, "..", "..", ".."));
        string packs = Path.Combine(dotnetRoot, "packs", "Microsoft.NETCore.App.Ref");
        string? refDir = Directory.Exists(packs)
            ? Directory.GetDirectories(packs)
                .Select(d => Path.Combine(d, "ref", "net10.0"))
                .Where(Directory.Exists)
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault()
            : null;
        if (refDir is not null)
        {
            paths.AddRange(Directory.GetFiles(refDir, "*.dll"));
        }
        else
        {
            string tpa = (string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!;
            paths.AddRange(tpa.Split(Path.PathSeparator).Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal)
                || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll"));
        }
        paths.Add(typeof(TypedSkv.SkvStore).Assembly.Location);
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }
}
