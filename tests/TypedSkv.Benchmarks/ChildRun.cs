using System.Diagnostics;
using System.Globalization;

namespace TypedSkv.Benchmarks;

/// <summary>
/// One measurement in a process of its own, so its memory figures belong to one system: <c>--child load</c> writes
/// the records, <c>--child open</c> reopens and reads. Each prints one line, <c>RESULT name=value ...</c>, that
/// <see cref="Parse"/> reads back in the parent.
/// </summary>
public static class ChildRun
{
    public const int LoadBatch = 1000;

    public static IKvSystem Create(string name) => name switch
    {
        "TypedSkv" => new TypedSkvSystem(),
        "TypedSkv-mem" => new TypedSkvSystem(inMemoryIndex: true),
        "SQLite" => new SqliteSystem(),
        "LiteDB" => new LiteDbSystem(),
        "AppendLog+Dict" => new AppendLogSystem(),
        "LMDB" => new LmdbSystem(),
        "RocksDB" => new RocksDbSystem(),
        _ => throw new ArgumentException("unknown system " + name),
    };

    /// <summary>args: load|open system dir n [reads], or churn|compact|backup|verify TypedSkv dir n (<see cref="ScaleMaintenance"/>)</summary>
    public static int Run(string[] args, TextWriter output)
    {
        string system = args[1], dir = args[2];
        long n = long.Parse(args[3], CultureInfo.InvariantCulture);
        var result = args[0] switch
        {
            "load" => Load(system, dir, n),
            "open" => Open(system, dir, n, args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 0),
            "churn" or "compact" or "backup" or "verify" when system == "TypedSkv" => ScaleMaintenance.Run(args[0], dir, n),
            _ => throw new ArgumentException("unknown child command " + args[0]),
        };
        output.WriteLine("RESULT " + string.Join(' ', result.Select(kv => $"{kv.Key}={kv.Value.ToString("R", CultureInfo.InvariantCulture)}")));
        return 0;
    }

    /// <summary>Records 0..n-1 in batches (random key order: the keys are hashes of i), non-durable, then a clean close.</summary>
    private static Dictionary<string, double> Load(string system, string dir, long n)
    {
        Directory.CreateDirectory(dir);
        using var s = Create(system);
        s.Open(dir, durable: false);
        var pairs = new (byte[], byte[])[LoadBatch];
        for (int j = 0; j < LoadBatch; j++) pairs[j] = (new byte[BenchData.KeyBytes], new byte[BenchData.ValueBytes]);
        var sw = Stopwatch.StartNew();
        for (long i = 0; i < n; i += LoadBatch)
        {
            int len = (int)Math.Min(LoadBatch, n - i);
            for (int j = 0; j < len; j++)
            {
                BenchData.WriteKey(i + j, pairs[j].Item1);
                BenchData.WriteValue(i + j, pairs[j].Item2);
            }
            s.PutBatch(pairs.AsSpan(0, len));
        }
        s.Close();
        double seconds = sw.Elapsed.TotalSeconds;
        return new()
        {
            ["load_s"] = seconds,
            ["load_rate"] = n / seconds,
            ["load_peak_mib"] = ProcessMemory.Read().PeakRssMiB,
            ["file_mib"] = DirectoryBytes(dir) / (1024.0 * 1024),
        };
    }

    /// <summary>
    /// Reopen after a clean close, in this fresh process. The code paths are first compiled on an empty store of the
    /// same system in a sibling folder, so the time is the open's, not the JIT's (the store itself is opened once:
    /// a second open would find another state, e.g. RocksDB flushes the log it replayed). Memory is measured against
    /// the bare runtime before that warm-up.
    /// </summary>
    private static Dictionary<string, double> Open(string system, string dir, long n, int reads)
    {
        var result = new Dictionary<string, double>
        {
            ["file_mib"] = DirectoryBytes(dir) / (1024.0 * 1024),
            ["anon_before_mib"] = ProcessMemory.Read().RssAnonMiB,
        };
        string warmDir = dir.TrimEnd('/') + "-warm";
        Directory.CreateDirectory(warmDir);
        using (var warm = Create(system))
        {
            warm.Open(warmDir, durable: false);
            warm.Put(BenchData.Key(0), BenchData.Value(0));
            if (warm.ReaderForThread()(BenchData.Key(0)) is null) throw new InvalidOperationException($"{system}: warm-up read found nothing");
            warm.Close();
        }
        Directory.Delete(warmDir, recursive: true);

        using var s = Create(system);
        var sw = Stopwatch.StartNew();
        s.Open(dir, durable: false);
        result["open_ms"] = sw.Elapsed.TotalMilliseconds;
        var afterOpen = ProcessMemory.Read();
        result["anon_open_mib"] = afterOpen.RssAnonMiB;
        result["file_open_mib"] = afterOpen.RssFileMiB;
        if (reads > 0)
        {
            ReadPass(s, n, reads, threads: 1, seed: 1); // warm-up: pages mapped, caches filled
            result["reads1"] = ReadPass(s, n, reads, threads: 1, seed: 2);
            result["reads2"] = ReadPass(s, n, reads, threads: 2, seed: 3);
            result["anon_reads_mib"] = ProcessMemory.Read().RssAnonMiB;
        }
        result["peak_mib"] = ProcessMemory.Read().PeakRssMiB;
        s.Close();
        return result;
    }

    /// <summary>
    /// Random point reads of existing keys on dedicated threads; ops/s. Keys are computed per read (about 15 ns,
    /// the same for every system) rather than held in a list that would count in the process's memory.
    /// </summary>
    public static double ReadPass(IKvSystem s, long n, int reads, int threads, int seed)
    {
        var readers = Enumerable.Range(0, threads).Select(_ => s.ReaderForThread()).ToArray();
        int per = reads / threads;
        long misses = 0;
        var sw = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var get = readers[t];
            var key = new byte[BenchData.KeyBytes];
            ulong state = BenchData.Mix((ulong)(seed * 1000 + t));
            for (int i = 0; i < per; i++)
            {
                state = BenchData.Mix(state);
                BenchData.WriteKey((long)(state % (ulong)n), key);
                if (get(key) is null) Interlocked.Increment(ref misses);
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        double rate = per * threads / sw.Elapsed.TotalSeconds;
        if (misses > 0) throw new InvalidOperationException($"{s.Name}: {misses} reads found nothing");
        return rate;
    }

    public static long DirectoryBytes(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>Runs this program as a child (same build) and returns its RESULT figures.</summary>
    public static Dictionary<string, double> Spawn(params string[] args) => Parse(RunDll("TypedSkv.Benchmarks.dll", ["--child", .. args]));

    /// <summary>Runs a program of this build's output folder with dotnet; its stdout, or an exception with its stderr.</summary>
    public static string RunDll(string dll, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync(); // both pipes drained at once: a full one would block the child
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{dll} {string.Join(' ', args)} failed ({p.ExitCode}): {stderr.Result}{stdout}");
        return stdout;
    }

    public static Dictionary<string, double> Parse(string stdout)
    {
        string line = stdout.Split('\n').Last(l => l.StartsWith("RESULT "));
        return line["RESULT ".Length..].Trim().Split(' ')
            .Select(p => p.Split('='))
            .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
    }
}
