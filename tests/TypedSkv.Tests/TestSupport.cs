using System.Diagnostics;
using System.Security.Cryptography;

namespace TypedSkv.Tests;

/// <summary>A fresh directory per test, removed afterwards.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "typedskv-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class StoreAssert
{
    /// <summary>Every key and value of the store in order, as a comparable digest.</summary>
    public static string Digest(SkvStore store)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in store.Scan())
        {
            sha.AppendData(BitConverter.GetBytes(e.Key.Length));
            sha.AppendData(e.Key.Span);
            var v = e.GetValue();
            sha.AppendData(BitConverter.GetBytes(v.Length));
            sha.AppendData(v);
        }
        return Convert.ToHexString(sha.GetHashAndReset()) + "/" + store.Count;
    }

    public static Dictionary<string, string> ToDictionary(SkvStore store) =>
        store.Scan().ToDictionary(e => e.KeyString, e => e.GetValueString());
}

/// <summary>Runs tests/TypedSkv.TestChild as a separate process.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    public ChildProcess(params string[] args)
    {
        string dll = System.IO.Path.Combine(AppContext.BaseDirectory, "TypedSkv.TestChild.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi) ?? throw new InvalidOperationException("could not start child");
    }

    public Process Process => _process;

    public string? ReadLine(TimeSpan? timeout = null)
    {
        var task = _process.StandardOutput.ReadLineAsync();
        if (!task.Wait(timeout ?? TimeSpan.FromSeconds(60)))
            throw new TimeoutException("child printed nothing in time; stderr: " + StdErrSoFar());
        return task.Result;
    }

    private string StdErrSoFar()
    {
        try { return _process.HasExited ? _process.StandardError.ReadToEnd() : "(running)"; } catch { return "?"; }
    }

    public void Kill()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true); // SIGKILL on Unix
        _process.WaitForExit();
    }

    public int WaitForExit()
    {
        if (!_process.WaitForExit(60_000)) throw new TimeoutException("child did not exit");
        return _process.ExitCode;
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    public static (int ExitCode, string Output) Run(params string[] args)
    {
        using var child = new ChildProcess(args);
        child.Process.StandardInput.Close();
        string output = child.Process.StandardOutput.ReadToEnd();
        int code = child.WaitForExit();
        return (code, output);
    }
}
