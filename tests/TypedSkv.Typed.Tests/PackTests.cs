using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.CompilerServices;

namespace TypedSkv.Typed.Tests;

/// <summary>
/// Packs src/TypedSkv into a temp feed and builds and runs a fresh consumer project against the package,
/// offline: the only package source is the temp feed, the machine's NuGet cache is a fallback folder (for
/// System.IO.Hashing), and extracted packages go to a temp global packages folder.
/// </summary>
public class PackTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    private const string ConsumerProgram = """
        using TypedSkv;

        string path = Path.Combine(AppContext.BaseDirectory, "consumer.skv");
        File.Delete(path);
        using (var db = ShopDb.Open(path))
        {
            db.Products.Put(new Product("p-1", "Pen", 1.25m, Category.Office));
            db.Products.Put(new Product("p-2", "Mug", 7.5m, Category.Kitchen));
            db.Products.Put(new Product("q-1", "Cup", 3m, Category.Kitchen));
        }
        using (var db = ShopDb.Open(path))
        {
            Product? pen = db.Products.Get("p-1");
            var kitchen = db.Products.ByCategoryName.Find("Kitchen");
            var p = db.Products.Prefix("p-").Select(x => x.Id);
            Console.WriteLine($"{pen?.Name} {string.Join(",", kitchen.Select(k => k.Id))} {string.Join(",", p)} {db.Products.BySku.Get("SKU-MUG")?.Name}");
        }

        /// <summary>Product category.</summary>
        public enum Category
        {
            /// <summary>Office.</summary>
            Office,
            /// <summary>Kitchen.</summary>
            Kitchen,
        }

        /// <summary>A product.</summary>
        /// <param name="Id">Key.</param>
        /// <param name="Name">Name.</param>
        /// <param name="Price">Price.</param>
        /// <param name="Category">Category.</param>
        [SkvRecord("products")]
        public sealed record Product([property: SkvKey] string Id, string Name, decimal Price, Category Category)
        {
            /// <summary>Indexed computed value.</summary>
            [SkvIndex] public string CategoryName => Category.ToString();

            /// <summary>Unique stock-keeping unit.</summary>
            [SkvIndex(Unique = true)] public string Sku { get; init; } = "SKU-" + Name.ToUpperInvariant();
        }

        /// <summary>The typed database (documented, so the generated members must be too: CS1591 is an error here).</summary>
        [SkvDatabase(typeof(Product))]
        public sealed partial class ShopDb;
        """;

    [Fact]
    public void Packed_package_builds_and_runs_in_a_fresh_consumer_offline()
    {
        string repo = RepoRoot();
        string work = Path.Combine(Path.GetTempPath(), "skv-pack-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        string consumer = Path.Combine(work, "consumer");
        Directory.CreateDirectory(consumer);
        string version = "0.1.0-packtest." + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Run(repo, "pack", "src/TypedSkv/TypedSkv.csproj", "-c", Configuration, "--no-build", "-o", feed,
                $"-p:PackageVersion={version}", "-nodeReuse:false");

            string nupkg = Path.Combine(feed, $"TypedSkv.{version}.nupkg");
            using (var zip = ZipFile.OpenRead(nupkg))
            {
                var names = zip.Entries.Select(e => e.FullName).ToList();
                Assert.Contains("lib/net10.0/TypedSkv.dll", names);
                Assert.Contains("analyzers/dotnet/cs/TypedSkv.Generators.dll", names);
                Assert.Contains("README.md", names);
                Assert.Contains("docs/diagnostics.md", names); // the target of every diagnostic's help link
                using var nuspec = new StreamReader(zip.GetEntry("TypedSkv.nuspec")!.Open());
                string manifest = nuspec.ReadToEnd();
                Assert.DoesNotContain("TypedSkv.Generators", manifest); // no package dependency on the generator
                Assert.Contains("<readme>README.md</readme>", manifest);
            }

            string machineCache = MachineCache();
            File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <clear />
                    <add key="machine" value="{machineCache}" />
                  </fallbackPackageFolders>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                </configuration>
                """);
            WriteConsumer(work, consumer, version, "<GenerateDocumentationFile>true</GenerateDocumentationFile>");

            Run(consumer, "build", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
            string output = Run(consumer, Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll"));
            Assert.Equal("Pen p-2,q-1 p-1,p-2 Mug", output.Trim());

            // ExcludeAssets="analyzers" takes the generator out: the database class gets no members, and the build
            // says nothing about it (no SKV diagnostics, no generated file)
            string bare = Path.Combine(work, "bare");
            Directory.CreateDirectory(bare);
            File.Copy(Path.Combine(consumer, "NuGet.config"), Path.Combine(bare, "NuGet.config"));
            File.WriteAllText(Path.Combine(bare, "Bare.csproj"), File.ReadAllText(Path.Combine(consumer, "Consumer.csproj"))
                .Replace($"Version=\"{version}\"", $"Version=\"{version}\" ExcludeAssets=\"analyzers\"")
                .Replace("<GenerateDocumentationFile>true</GenerateDocumentationFile>", ""));
            File.WriteAllText(Path.Combine(bare, "Program.cs"), """
                using TypedSkv;
                Console.WriteLine(typeof(BareDb).GetProperty("Items") is null && typeof(BareDb).GetMethod("Open") is null ? "no generated members" : "generated");
                [SkvRecord("items")] public sealed record Item([property: SkvKey] int Id);
                [SkvDatabase(typeof(Item))] public sealed partial class BareDb;
                """);
            Run(bare, "build", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false");
            Assert.Equal("no generated members", Run(bare, Path.Combine(bare, "bin", "Release", "net10.0", "Bare.dll")).Trim());
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>
    /// The package in a NativeAOT consumer: publish with PublishAot (no trim or AOT warnings from TypedSkv or its generated
    /// code) and run the native binary. Installs clang and zlib1g-dev with apt when they are missing (the AOT linker needs them).
    /// </summary>
    [Fact]
    public void Packed_package_publishes_with_NativeAOT_without_warnings_and_runs()
    {
        EnsureNativeToolchain();
        string repo = RepoRoot();
        string work = Path.Combine(Path.GetTempPath(), "skv-aot-" + Guid.NewGuid().ToString("N"));
        string feed = Path.Combine(work, "feed");
        string consumer = Path.Combine(work, "consumer");
        Directory.CreateDirectory(consumer);
        string version = "0.1.0-aottest." + Guid.NewGuid().ToString("N")[..8];
        try
        {
            Run(repo, "pack", "src/TypedSkv/TypedSkv.csproj", "-c", Configuration, "--no-build", "-o", feed,
                $"-p:PackageVersion={version}", "-nodeReuse:false");
            // the machine's own sources stay: the AOT compiler and runtime packs come from them (or its cache)
            File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="local" value="{feed}" />
                  </packageSources>
                  <config>
                    <add key="globalPackagesFolder" value="{Path.Combine(work, "packages")}" />
                  </config>
                  <fallbackPackageFolders>
                    <add key="machine" value="{MachineCache()}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            WriteConsumer(work, consumer, version, "<PublishAot>true</PublishAot>");

            string output = Path.Combine(consumer, "native");
            string log = Run(consumer, TimeSpan.FromMinutes(8), "publish", "-c", "Release", "-r", "linux-x64", "-o", output, "-nodeReuse:false", "-p:UseSharedCompilation=false");
            Assert.DoesNotContain("warning IL", log);
            Assert.DoesNotContain("will always throw", log);
            Assert.Equal("Pen p-2,q-1 p-1,p-2 Mug", RunProgram(consumer, Path.Combine(output, "Consumer"), TimeSpan.FromMinutes(1)).Trim());
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The consumer project (warnings as errors) over the packed version, and the shop program.</summary>
    private static void WriteConsumer(string work, string consumer, string version, string extraProperties)
    {
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <NuGetAudit>false</NuGetAudit>
                {extraProperties}
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="TypedSkv" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), ConsumerProgram);
        // Keep the consumer away from this repository's Directory.*.props and global.json.
        File.WriteAllText(Path.Combine(work, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(work, "Directory.Packages.props"), "<Project />");
    }

    private static string MachineCache() => Environment.GetEnvironmentVariable("NUGET_PACKAGES")
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>clang and zlib's headers for the NativeAOT link step, installed with apt when missing.</summary>
    private static void EnsureNativeToolchain()
    {
        bool clang = Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "clang")));
        if (clang && File.Exists("/usr/include/zlib.h")) return;
        foreach (string[] command in new[] { new[] { "update" }, new[] { "install", "-y", "--no-install-recommends", "clang", "zlib1g-dev" } })
        {
            var start = new ProcessStartInfo("apt-get") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (string arg in command) start.ArgumentList.Add(arg);
            start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
            using var process = Process.Start(start)!;
            string error = process.StandardError.ReadToEnd();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"apt-get {string.Join(" ", command)} failed (NativeAOT needs clang and zlib1g-dev): {error}");
        }
    }

    private static string Run(string directory, params string[] args) => Run(directory, TimeSpan.FromMinutes(2), args);

    private static string Run(string directory, TimeSpan timeout, params string[] args) =>
        RunProgram(directory, Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", timeout, args);

    private static string RunProgram(string directory, string program, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in args) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(program)} {string.Join(" ", args)} timed out");
        }
        Assert.True(process.ExitCode == 0, $"{Path.GetFileName(program)} {string.Join(" ", args)} exited {process.ExitCode}\n{stdout}\n{stderr.Result}");
        return stdout;
    }

    private static string RepoRoot([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
