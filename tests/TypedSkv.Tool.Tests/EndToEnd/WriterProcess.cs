using System.Diagnostics;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>
/// tests/TypedSkv.TestChild as another process that has a store open for writing: "hold" opens it and waits
/// on stdin, "puts" writes durable puts until killed (printing "acked N" after each).
/// </summary>
public sealed class WriterProcess : IDisposable
{
    private readonly Process _process;

    public WriterProcess(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "TypedSkv.TestChild.dll");
        _process = Process.Start(ProcessRunner.CreateStartInfo(ProcessRunner.Dotnet, [dll, .. args], AppContext.BaseDirectory))
            ?? throw new InvalidOperationException("could not start the writer process");
    }

    /// <summary>Opens the store for writing (creating it), optionally puts one key, and holds it until disposed.</summary>
    public static WriterProcess Hold(string db, string? key = null, string? value = null)
    {
        var p = key is null ? new WriterProcess("hold", db) : new WriterProcess("hold", db, key, value ?? "");
        Assert.Equal("ready", p.ReadLine());
        return p;
    }

    /// <summary>Opens the store and leaves a transaction of about 1 MB open (its records in the file, no commit yet).</summary>
    public static WriterProcess HoldTransaction(string db)
    {
        var p = new WriterProcess("hold-tx", db);
        Assert.Equal("ready", p.ReadLine());
        return p;
    }

    /// <summary>Starts writing and returns once <paramref name="acked"/> puts are durable.</summary>
    public static WriterProcess Puts(string db, int acked)
    {
        var p = new WriterProcess("puts", db);
        for (int i = 0; i < acked; i++) Assert.StartsWith("acked ", p.ReadLine());
        return p;
    }

    /// <summary>The writer's process id.</summary>
    public int Id => _process.Id;

    public string? ReadLine()
    {
        var line = _process.StandardOutput.ReadLineAsync();
        if (!line.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException("the writer process printed nothing in time");
        return line.Result;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }
}
