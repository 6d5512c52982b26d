using System.Diagnostics;
using System.Runtime.InteropServices;

namespace TypedSkv.Benchmarks;

/// <summary>
/// One run, every system, one table of rates and ratios. Stopwatch-timed whole workloads (each millions of
/// operations at the default N), not micro benchmarks: these are the figures a user choosing a store compares.
/// </summary>
public sealed class QuickRun(QuickRun.Settings settings, TextWriter output)
{
    public sealed record Settings(int N, int DurableN, int LiteDbN, int BatchSize, string Directory, string[] Systems, double ScanSeconds = 1.5, int BackupValueBytes = 100);

    public sealed record Row(string Workload, string Unit, Dictionary<string, double> Values);

    private readonly List<Row> _rows = [];
    private readonly List<(string Operation, double MBps, double CeilingMBps, string Ceiling, double PeakMiB)> _backupRows = [];

    public IReadOnlyList<(string Operation, double MBps, double CeilingMBps, string Ceiling, double PeakMiB)> BackupRows => _backupRows;

    public IReadOnlyList<Row> Rows => _rows;

    /// <summary>Systems whose open is measured again in a fresh process (AppendLog+Dict keeps no index on disk).</summary>
    private readonly List<(string System, Dictionary<string, double> Figures)> _openRows = [];

    public IReadOnlyList<(string System, Dictionary<string, double> Figures)> OpenRows => _openRows;

    private const int ScanLimit = 256;

    private static readonly string[] RatioPeers = ["SQLite", "LiteDB", "LMDB", "RocksDB"];

    private static IKvSystem Create(string name) => ChildRun.Create(name);

    private void Add(string workload, string unit, string system, double value)
    {
        var row = _rows.FirstOrDefault(r => r.Workload == workload);
        if (row is null) _rows.Add(row = new Row(workload, unit, new()));
        row.Values[system] = value;
    }

    public void Run()
    {
        var rnd = new Random(12345);
        int n = settings.N;
        var values = Enumerable.Range(0, n).Select(i => BenchData.Value(i)).ToArray();
        var keys = Enumerable.Range(0, n).Select(i => BenchData.Key(i)).ToArray(); // hashes of i: random key order
        int reads = n;
        int prefixChars = BenchData.PrefixChars(n, ScanLimit);
        var readKeys = Enumerable.Range(0, reads).Select(_ => keys[rnd.Next(n)]).ToArray();

        foreach (var name in settings.Systems)
        {
            output.WriteLine($"# {name}");
            string dir = Path.Combine(settings.Directory, name.Replace('+', '_'));
            int sysN = name == "LiteDB" ? Math.Min(n, settings.LiteDbN) : n;

            // 1. single non-durable inserts (LiteDB has no non-durable mode; SQLite is measured batched, the fair peer)
            if (name is "TypedSkv" or "AppendLog+Dict")
            {
                Fresh(dir);
                using var s = Create(name);
                s.Open(dir, durable: false);
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < sysN; i++) s.Put(keys[i], values[i]);
                s.Close();
                Add("insert, single, non-durable", "ops/s", name, sysN / sw.Elapsed.TotalSeconds);
            }

            // 2. batched inserts -> this store is then used for the read workloads
            Fresh(dir);
            using (var s = Create(name))
            {
                s.Open(dir, durable: false);
                var pairs = new (byte[], byte[])[settings.BatchSize];
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < sysN; i += settings.BatchSize)
                {
                    int len = Math.Min(settings.BatchSize, sysN - i);
                    for (int j = 0; j < len; j++) pairs[j] = (keys[i + j], values[i + j]);
                    s.PutBatch(pairs.AsSpan(0, len));
                }
                s.Close();
                Add($"insert, batches of {settings.BatchSize}", "ops/s", name, sysN / sw.Elapsed.TotalSeconds);

                // open, private memory and peak RSS in a fresh process: this one holds every key and value
                if (name != "AppendLog+Dict") _openRows.Add((name, ChildRun.Spawn("open", name, dir, sysN.ToString(), "0")));

                // open time: the index is rebuilt from the file
                sw.Restart();
                s.Open(dir, durable: false);
                Add("open (reopen existing store)", "ms", name, sw.Elapsed.TotalMilliseconds);
                if (name == "AppendLog+Dict") { s.Close(); Fresh(dir); s.Open(dir, false); for (int i = 0; i < sysN; i++) s.Put(keys[i], values[i]); }

                // 3. random point reads, 1 and 2 threads
                // keys were inserted in shuffled order: the first sysN of them are the ones present
                var readSet = sysN == n ? readKeys : Enumerable.Range(0, reads).Select(_ => keys[rnd.Next(sysN)]).ToArray();
                foreach (int threads in new[] { 1, 2 })
                {
                    var readers = Enumerable.Range(0, threads).Select(_ => s.ReaderForThread()).ToArray();
                    int per = readSet.Length / threads;
                    long misses = 0;
                    sw.Restart();
                    OnThreads(threads, t =>
                    {
                        var get = readers[t];
                        for (int i = t * per; i < (t + 1) * per; i++) if (get(readSet[i]) is null) Interlocked.Increment(ref misses);
                    });
                    double rate = per * threads / sw.Elapsed.TotalSeconds;
                    if (misses > 0) throw new InvalidOperationException($"{name}: {misses} reads found nothing");
                    Add($"point reads, {threads} thread{(threads > 1 ? "s" : "")}", "ops/s", name, rate);
                }

                // 4. prefix scans: the first 256 keys under the leading hex characters of a random key
                if (name != "AppendLog+Dict")
                {
                    int scans = 0, found = 0;
                    sw.Restart();
                    while (sw.Elapsed.TotalSeconds < settings.ScanSeconds || scans < 10)
                    {
                        var p = keys[rnd.Next(sysN)][..prefixChars];
                        found += s.CountPrefix(p, ScanLimit);
                        scans++;
                    }
                    if (found == 0) throw new InvalidOperationException($"{name}: prefix scans found no key");
                    Add("prefix scan (256 keys, values read)", "scans/s", name, scans / sw.Elapsed.TotalSeconds);
                    sw.Restart();
                    long bytes = s.ScanAllBytes();
                    Add("full scan, keys+values", "MB/s", name, bytes / 1e6 / sw.Elapsed.TotalSeconds);
                }
                s.Close();
            }

            // 5. durable inserts, 1 writer and 8 writers
            int dn = name == "LiteDB" ? Math.Min(settings.DurableN, 1000) : settings.DurableN;
            foreach (int writers in new[] { 1, 8 })
            {
                Fresh(dir);
                using var s = Create(name);
                s.Open(dir, durable: true);
                Action<byte[], byte[]>[] put = Enumerable.Range(0, writers)
                    .Select(_ => s is SqliteSystem sq && writers > 1 ? sq.WriterForThread(true) : s.Put).ToArray();
                int per = dn / writers;
                var sw = Stopwatch.StartNew();
                OnThreads(writers, t =>
                {
                    for (int i = t * per; i < (t + 1) * per; i++) put[t](keys[i], values[i]);
                });
                double rate = per * writers / sw.Elapsed.TotalSeconds;
                if (name == "LiteDB" && writers > 1) rate = double.NaN; // single Direct-mode instance: not a concurrency test
                Add($"insert, durable, {writers} writer{(writers > 1 ? "s" : "")}", "ops/s", name, rate);
                s.Close();
            }
            Fresh(dir);
        }
    }

    /// <summary>Dedicated threads: pool threads blocked in fsync would starve the thread pool's slow injection.</summary>
    private static void OnThreads(int count, Action<int> body)
    {
        var threads = Enumerable.Range(0, count).Select(t => new Thread(() => body(t))).ToArray();
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();
    }

    /// <summary>Backup and restore against bare Utf8JsonWriter/Utf8JsonReader loops, each in its own process (peak RSS).</summary>
    public void RunBackupRestore()
    {
        string dir = Path.Combine(settings.Directory, "backup");
        Fresh(dir);
        var measured = new Dictionary<string, (double MBps, double PeakMiB)>();
        foreach (string cmd in new[] { "gen", "backup", "bare-write", "restore", "bare-read-put", "restore-dry", "bare-read" })
        {
            string[] extra = cmd == "gen" ? [settings.N.ToString(), settings.BackupValueBytes.ToString()] : [];
            string line = RunBench(cmd, dir, extra);
            output.WriteLine("  " + line);
            if (cmd == "gen") continue;
            // "<what> <records> records <MB> MB <s> s <MB/s> MB/s  RSS before <x> MiB  peak <y> MiB ..."
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double mbps = double.Parse(parts[Array.IndexOf(parts, "MB/s") - 1], System.Globalization.CultureInfo.InvariantCulture);
            double peak = double.Parse(parts[Array.IndexOf(parts, "peak") + 1], System.Globalization.CultureInfo.InvariantCulture);
            measured[cmd] = (mbps, peak);
        }
        _backupRows.Add(("backup", measured["backup"].MBps, measured["bare-write"].MBps, "bare Utf8JsonWriter loop", measured["backup"].PeakMiB));
        _backupRows.Add(("restore", measured["restore"].MBps, measured["bare-read-put"].MBps, "bare Utf8JsonReader loop + same puts", measured["restore"].PeakMiB));
        _backupRows.Add(("restore, dry run (parse + checks)", measured["restore-dry"].MBps, measured["bare-read"].MBps, "bare Utf8JsonReader loop", measured["restore-dry"].PeakMiB));
        Fresh(dir);
    }

    private static string RunBench(string cmd, string dir, string[] extra) =>
        ChildRun.RunDll("TypedSkv.BackupBench.dll", [cmd, dir, .. extra]).Trim().Split('\n')[^1];

    private static void Fresh(string dir)
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
    }

    public void PrintTable()
    {
        var systems = settings.Systems;
        output.WriteLine();
        output.WriteLine($"N = {settings.N:N0} records ({BenchData.KeyBytes}-byte hex-hash keys in random order, {BenchData.ValueBytes}-byte values; LiteDB: {Math.Min(settings.N, settings.LiteDbN):N0}), durable N = {settings.DurableN:N0}; "
            + $"prefix scans read the first {ScanLimit} keys under {BenchData.PrefixChars(settings.N, ScanLimit)} leading hex characters");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:yyyy-MM-dd}"
            + (systems.Contains("LMDB") ? $"; LMDB library: {ScaleRun.LmdbLibrary()}" : ""));
        output.WriteLine();
        var peers = RatioPeers.Where(systems.Contains).ToArray();
        output.WriteLine("| workload | unit | " + string.Join(" | ", systems) + string.Concat(peers.Select(p => $" | TypedSkv / {p}")) + " |");
        output.WriteLine("|---|---|" + string.Concat(systems.Select(_ => "---:|")) + string.Concat(peers.Select(_ => "---:|")));
        foreach (var row in _rows)
        {
            string Cell(string s) => row.Values.TryGetValue(s, out var v) && !double.IsNaN(v) ? Format(v) : "-";
            string Ratio(string peer)
            {
                if (!row.Values.TryGetValue("TypedSkv", out var a) || !row.Values.TryGetValue(peer, out var b) || double.IsNaN(b) || b <= 0) return "-";
                double r = row.Unit == "ms" ? b / a : a / b; // for times, lower is better
                return ScaleRun.Ratio(r);
            }
            output.WriteLine($"| {row.Workload} | {row.Unit} | " + string.Join(" | ", systems.Select(Cell)) + string.Concat(peers.Select(p => " | " + Ratio(p))) + " |");
        }
        if (_openRows.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Reopen after a clean close, in a fresh process per system (code compiled first on an empty store of the same system). "
                + "Private memory = RssAnon from /proc/self/status (anonymous pages: heaps, malloc; not the page cache, which shows in RssFile); "
                + "'above the runtime' subtracts the bare runtime's RssAnon before the warm-up:");
            output.WriteLine();
            output.WriteLine("| system | open ms | private memory after open MiB | above the runtime MiB | RssFile after open MiB | peak RSS MiB | file size MiB |");
            output.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var (system, f) in _openRows)
                output.WriteLine($"| {system} | {f["open_ms"]:0.0} | {f["anon_open_mib"]:0.0} | {f["anon_open_mib"] - f["anon_before_mib"]:0.0} | {f["file_open_mib"]:0.0} | {f["peak_mib"]:0} | {f["file_mib"]:0.0} |");
        }
        if (_backupRows.Count > 0)
        {
            output.WriteLine();
            output.WriteLine($"Backup and restore, {settings.N:N0} records x {settings.BackupValueBytes} bytes, one child process per line:");
            output.WriteLine();
            output.WriteLine("| operation | MB/s | ceiling MB/s | ceiling | ratio | peak RSS MiB |");
            output.WriteLine("|---|---:|---:|---|---:|---:|");
            foreach (var (op, mbps, ceiling, what, peak) in _backupRows)
                output.WriteLine($"| {op} | {mbps:0} | {ceiling:0} | {what} | {mbps / ceiling:0%} | {peak:0} |");
        }
        if (_rows.FirstOrDefault(r => r.Workload.StartsWith("insert, single")) is { } single
            && _rows.FirstOrDefault(r => r.Workload.StartsWith("insert, batches")) is { } batched
            && single.Values.TryGetValue("TypedSkv", out var ts) && batched.Values.TryGetValue("SQLite", out var sb))
            output.WriteLine($"\nsingle non-durable TypedSkv inserts vs SQLite batched inserts: {ts / sb:0.00}x (target >= 3x)");
        if (_rows.FirstOrDefault(r => r.Workload == "insert, durable, 1 writer") is { } d1
            && _rows.FirstOrDefault(r => r.Workload == "insert, durable, 8 writers") is { } d8
            && d1.Values.TryGetValue("TypedSkv", out var a1) && d8.Values.TryGetValue("TypedSkv", out var a8))
            output.WriteLine($"TypedSkv durable 8 writers vs 1 writer (group commit): {a8 / a1:0.00}x (target >= 4x)");
    }

    private static string Format(double v) => v switch
    {
        >= 1e6 => $"{v / 1e6:0.00}M",
        >= 1e4 => $"{v / 1e3:0.0}k",
        >= 100 => $"{v:0}",
        _ => $"{v:0.0}",
    };
}
