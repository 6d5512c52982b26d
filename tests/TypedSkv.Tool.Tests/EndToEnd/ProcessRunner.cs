using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace TypedSkv.Tool.Tests.EndToEnd;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public JsonElement Json()
    {
        using var doc = JsonDocument.Parse(Stdout);
        return doc.RootElement.Clone();
    }

    public ProcessResult EnsureSuccess(string what)
    {
        if (ExitCode != 0) throw new InvalidOperationException($"{what} failed with exit code {ExitCode}:\n{Stdout}\n{Stderr}");
        return this;
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs a program to completion with a clean, offline-friendly environment.</summary>
public static class ProcessRunner
{
    public static string Dotnet { get; } = FindDotnet();

    public static ProcessResult Run(string fileName, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = CreateStartInfo(fileName, args, workingDirectory, environment);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in time");
        }
        return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> args, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        // the test host may run inside an MSBuild-launched environment; child SDK commands must not inherit it
        foreach (string name in psi.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(name);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet)!;
        if (environment is not null)
        {
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        }
        return psi;
    }

    private static string FindDotnet()
    {
        string exe = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        string? found = host is not null && File.Exists(host) ? host : null;
        if (found is null)
        {
            foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator))
            {
                string candidate = Path.Combine(dir, exe);
                if (File.Exists(candidate))
                {
                    found = candidate;
                    break;
                }
            }
        }
        found ??= Environment.ProcessPath is { } p && Path.GetFileName(p) == exe ? p : exe;
        // /usr/bin/dotnet is usually a symlink into the real installation, which DOTNET_ROOT must name
        var target = File.Exists(found) ? new FileInfo(found).ResolveLinkTarget(returnFinalTarget: true) : null;
        return target?.FullName ?? found;
    }
}
