using System.Diagnostics;

namespace TypedSkv.Benchmarks;

/// <summary>
/// The scale mode's opt-in maintenance steps (<c>--maintenance</c>, TypedSkv only), each a child process of its own
/// after the reads: <c>churn</c> deletes every 10th record (i % 10 == 0) and overwrites the next (i % 10 == 1) with a
/// new value, in non-durable batches of 1000, so that a fifth of the file's records are dead; <c>compact</c> compacts
/// the store; <c>backup</c> writes a streaming JSON backup of it to a file; <c>verify</c> checks that backup against
/// the store. Each prints its time, its process's peak RSS and its sizes.
/// </summary>
public static class ScaleMaintenance
{
    public static string StorePath(string dir) => Path.Combine(dir, "bench.skv");

    public static string BackupPath(string dir) => dir.TrimEnd('/') + "-backup.json";

    /// <summary>Records left after the churn: all but those with i % 10 == 0.</summary>
    public static long Live(long n) => n - (n + 9) / 10;

    public static Dictionary<string, double> Run(string step, string dir, long n) => step switch
    {
        "churn" => Churn(dir, n),
        "compact" => Compact(dir),
        "backup" => Backup(dir, n),
        "verify" => Verify(dir, n),
        _ => throw new ArgumentException("unknown maintenance step " + step),
    };

    private static SkvStore Open(string dir) => SkvStore.Open(StorePath(dir), new SkvOptions { Durability = SkvDurability.None });

    private static Dictionary<string, double> Churn(string dir, long n)
    {
        var key = new byte[BenchData.KeyBytes];
        var value = new byte[BenchData.ValueBytes];
        long ops = 0;
        var sw = Stopwatch.StartNew();
        using (var store = Open(dir))
        {
            for (long i = 0; i < n; i += 10 * ChildRun.LoadBatch / 2) // 500 deletes and 500 overwrites per batch
            {
                using var tx = store.BeginTransaction();
                for (long j = i; j < Math.Min(n, i + 10 * ChildRun.LoadBatch / 2); j += 10)
                {
                    BenchData.WriteKey(j, key);
                    if (!tx.Delete(key)) throw new InvalidOperationException($"churn: record {j} was not there");
                    ops++;
                    if (j + 1 >= n) continue;
                    BenchData.WriteKey(j + 1, key);
                    BenchData.WriteValue(n + j + 1, value);
                    tx.Put(key, value);
                    ops++;
                }
                tx.Commit();
            }
        }
        double seconds = sw.Elapsed.TotalSeconds;
        return new()
        {
            ["churn_rate"] = ops / seconds,
            ["churn_peak_mib"] = ProcessMemory.Read().PeakRssMiB,
        };
    }

    private static Dictionary<string, double> Compact(string dir)
    {
        double before = ChildRun.DirectoryBytes(dir) / (1024.0 * 1024);
        double seconds;
        SkvCompactionResult result;
        using (var store = Open(dir))
        {
            var sw = Stopwatch.StartNew();
            result = store.Compact();
            seconds = sw.Elapsed.TotalSeconds;
        }
        return new()
        {
            ["compact_before_mib"] = before,
            ["compact_log_before_mib"] = result.BytesBefore / (1024.0 * 1024),
            ["compact_log_after_mib"] = result.BytesAfter / (1024.0 * 1024),
            ["compact_s"] = seconds,
            ["compact_peak_mib"] = ProcessMemory.Read().PeakRssMiB,
            ["compact_after_mib"] = ChildRun.DirectoryBytes(dir) / (1024.0 * 1024),
        };
    }

    private static Dictionary<string, double> Backup(string dir, long n)
    {
        string path = BackupPath(dir);
        if (File.Exists(path)) File.Delete(path);
        using var store = Open(dir);
        var result = SkvBackup.Backup(store, path);
        if (result.Records != Live(n)) throw new InvalidOperationException($"backup: {result.Records} records, expected {Live(n)}");
        return new()
        {
            ["backup_s"] = result.Duration.TotalSeconds,
            ["backup_peak_mib"] = ProcessMemory.Read().PeakRssMiB,
            ["backup_mib"] = result.Bytes / (1024.0 * 1024),
        };
    }

    private static Dictionary<string, double> Verify(string dir, long n)
    {
        using var store = Open(dir);
        var sw = Stopwatch.StartNew();
        var report = SkvBackup.Verify(BackupPath(dir), store);
        double seconds = sw.Elapsed.TotalSeconds;
        if (!report.Ok || report.Comparison?.Matching != Live(n))
            throw new InvalidOperationException($"verify: ok={report.Ok}, {report.ProblemCount} problems, comparison {report.Comparison}");
        return new()
        {
            ["verify_s"] = seconds,
            ["verify_peak_mib"] = ProcessMemory.Read().PeakRssMiB,
        };
    }
}
