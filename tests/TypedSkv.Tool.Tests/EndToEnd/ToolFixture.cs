using System.Reflection;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>
/// Packs the tool once and installs it twice, with no network: into a tool path
/// (<c>dotnet tool install --tool-path</c>) and into a local tool manifest (<c>dotnet skv</c>). The package
/// source is a local folder, the NuGet cache and the CLI home are fresh folders (so a stale 0.1.0 in ~/.nuget or
/// ~/.dotnet is never used, and none is left behind),
/// and a nuget.config with &lt;clear/&gt; keeps nuget.org out.
/// </summary>
public sealed class ToolFixture : IDisposable
{
    public const string PackageVersion = "0.1.0";

    public ToolFixture()
    {
        Root = Path.Combine(Path.GetTempPath(), "skv-tool-e2e", Guid.NewGuid().ToString("N")[..12]);
        Feed = Directory.CreateDirectory(Path.Combine(Root, "feed")).FullName;
        ToolPath = Directory.CreateDirectory(Path.Combine(Root, "tools")).FullName;
        ManifestDirectory = Directory.CreateDirectory(Path.Combine(Root, "manifest")).FullName;
        string packages = Directory.CreateDirectory(Path.Combine(Root, "packages")).FullName;
        // DOTNET_CLI_HOME too: the SDK caches where a local tool's version lives (~/.dotnet/toolResolverCache); a
        // cache entry pointing into this temporary folder would outlive it and break the user's own 0.1.0 install
        string cliHome = Directory.CreateDirectory(Path.Combine(Root, "cli-home")).FullName;
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages, ["DOTNET_CLI_HOME"] = cliHome };

        string repo = FindRepositoryRoot();
        string configuration = typeof(ToolFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        // the tool is built already (this test project references it): pack that build
        Dotnet(repo, "pack", Path.Combine(repo, "tools", "TypedSkv.Tool", "TypedSkv.Tool.csproj"), "-c", configuration,
            "--no-build", "-o", Feed).EnsureSuccess("dotnet pack");

        string config = Path.Combine(Root, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);

        Dotnet(Root, "tool", "install", "--tool-path", ToolPath, "--configfile", config, "--add-source", Feed,
            "TypedSkv.Tool", "--version", PackageVersion).EnsureSuccess("dotnet tool install --tool-path");
        Dotnet(ManifestDirectory, "new", "tool-manifest").EnsureSuccess("dotnet new tool-manifest");
        Dotnet(ManifestDirectory, "tool", "install", "--local", "--configfile", config, "--add-source", Feed,
            "TypedSkv.Tool", "--version", PackageVersion).EnsureSuccess("dotnet tool install --local");
    }

    public string Root { get; }
    public string Feed { get; }
    public string ToolPath { get; }
    public string ManifestDirectory { get; }
    public IReadOnlyDictionary<string, string> Environment { get; }

    public string ToolExecutable => Path.Combine(ToolPath, OperatingSystem.IsWindows() ? "dotnet-skv.exe" : "dotnet-skv");

    /// <summary>Runs the tool installed with --tool-path, as a separate process.</summary>
    public ProcessResult Skv(string workingDirectory, params string[] args) =>
        ProcessRunner.Run(ToolExecutable, args, workingDirectory, Environment);

    /// <summary>Runs <c>dotnet skv ...</c> from the directory with the local tool manifest.</summary>
    public ProcessResult DotnetSkv(params string[] args) =>
        ProcessRunner.Run(ProcessRunner.Dotnet, ["skv", .. args], ManifestDirectory, Environment);

    private ProcessResult Dotnet(string workingDirectory, params string[] args) =>
        ProcessRunner.Run(ProcessRunner.Dotnet, args, workingDirectory, Environment, TimeSpan.FromMinutes(4));

    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "TypedSkv.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("TypedSkv.sln not found above " + AppContext.BaseDirectory);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ToolCollection : ICollectionFixture<ToolFixture>
{
    public const string Name = "installed tool";
}
