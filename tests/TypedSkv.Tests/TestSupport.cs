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

    public SkvStore OpenStore(string name = "store.skv") =>
        SkvStore.Open(File(name), new SkvOptions { Durability = SkvDurability.None });

    public string WriteText(string name, string content)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, content, new System.Text.UTF8Encoding(false));
        return path;
    }

    public string WriteBytes(string name, byte[] content)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

public static class FileDamage
{
    /// <summary>Overwrites one byte of a file that a store may hold open (the damage a read must detect).</summary>
    public static void WriteByte(string path, long offset, byte value)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        fs.Position = offset;
        fs.WriteByte(value);
    }
}

public static class StoreDigest
{
    /// <summary>SHA-256 over every (key, value) in key order, length-prefixed, plus the count.</summary>
    public static string Of(SkvStore store)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[4];
        long n = 0;
        foreach (var e in store.Scan())
        {
            byte[] v = e.GetValue();
            BitConverter.TryWriteBytes(len, e.Key.Length); sha.AppendData(len); sha.AppendData(e.Key.Span);
            BitConverter.TryWriteBytes(len, v.Length); sha.AppendData(len); sha.AppendData(v);
            n++;
        }
        return $"{n}:{Convert.ToHexString(sha.GetHashAndReset())}";
    }

    /// <summary>Every key and value as hex, for exact comparisons of binary data.</summary>
    public static Dictionary<string, string> Dump(SkvStore store) =>
        store.Scan().ToDictionary(e => Convert.ToHexString(e.Key.Span), e => Convert.ToHexString(e.GetValue()));

    /// <summary>Every key and value as UTF-8 text.</summary>
    public static Dictionary<string, string> Text(SkvStore store) =>
        store.Scan().ToDictionary(e => e.KeyString, e => e.GetValueString());
}

/// <summary>Runs tests/TypedSkv.TestChild as a separate process.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;

    public ChildProcess(params string[] args) : this(null, args) { }

    /// <param name="wrapper">A command line to run the child under (e.g. strace and its options), or null.</param>
    /// <param name="args">The child's arguments.</param>
    public ChildProcess(string[]? wrapper, string[] args)
    {
        string dll = System.IO.Path.Combine(AppContext.BaseDirectory, "TypedSkv.TestChild.dll");
        var psi = new ProcessStartInfo(wrapper is null ? "dotnet" : wrapper[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (wrapper is not null)
        {
            foreach (var w in wrapper.Skip(1)) psi.ArgumentList.Add(w);
            psi.ArgumentList.Add("dotnet");
        }
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

    public static (int ExitCode, string Output) Run(params string[] args) => RunWrapped(null, args);

    public static (int ExitCode, string Output) RunWrapped(string[]? wrapper, params string[] args)
    {
        using var child = new ChildProcess(wrapper, args);
        child.Process.StandardInput.Close();
        string output = child.Process.StandardOutput.ReadToEnd();
        int code = child.WaitForExit();
        return (code, output);
    }
}
