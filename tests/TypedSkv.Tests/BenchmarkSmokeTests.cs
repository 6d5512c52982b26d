using TypedSkv.Benchmarks;

namespace TypedSkv.Tests;

/// <summary>The quick benchmark runs end to end with a tiny N, so it never rots. Asserts rows, never timings.</summary>
public sealed class BenchmarkSmokeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Quick_mode_produces_every_row_for_every_system()
    {
        var output = new StringWriter();
        var run = new QuickRun(new QuickRun.Settings(N: 3000, DurableN: 16, LiteDbN: 1000, BatchSize: 100,
            Directory: _dir.Path, Systems: ["TypedSkv", "SQLite", "LiteDB", "AppendLog+Dict"], ScanSeconds: 0.01), output);
        run.Run();
        run.RunBackupRestore();
        run.PrintTable();

        string[] workloads =
        [
            "insert, single, non-durable", "insert, batches of 100", "open (reopen existing store)",
            "point reads, 1 thread", "point reads, 2 threads", "prefix scan (256 keys, values read)",
            "full scan, keys+values", "insert, durable, 1 writer", "insert, durable, 8 writers",
        ];
        Assert.Equal(workloads, run.Rows.Select(r => r.Workload));
        foreach (var row in run.Rows)
        {
            Assert.True(row.Values["TypedSkv"] > 0, row.Workload);
            if (!row.Workload.StartsWith("insert, single")) Assert.True(row.Values.ContainsKey("SQLite"), row.Workload);
        }
        Assert.Equal(["backup", "restore", "restore, dry run (parse + checks)"], run.BackupRows.Select(r => r.Operation));
        Assert.All(run.BackupRows, r => Assert.True(r.MBps > 0 && r.CeilingMBps > 0 && r.PeakMiB > 0, r.Operation));
        string table = output.ToString();
        Assert.Contains("| workload | unit | TypedSkv | SQLite | LiteDB | AppendLog+Dict |", table);
        Assert.Contains("group commit", table);
    }

    [Fact]
    public void Scale_mode_with_maintenance_produces_every_row()
    {
        var output = new StringWriter();
        var run = new ScaleRun(new ScaleRun.Settings([2000], ["TypedSkv"], _dir.Path, Reads: 500, Maintenance: true), output);
        run.Run();

        var figures = run.Results[(2000, "TypedSkv")];
        string[] keys = ["load_rate", "open_ms", "reads1", "churn_rate", "compact_s", "compact_peak_mib", "backup_s", "backup_peak_mib", "backup_mib", "verify_s", "verify_peak_mib"];
        Assert.All(keys, k => Assert.True(figures[k] > 0, k));
        Assert.True(figures["compact_log_after_mib"] < figures["compact_log_before_mib"], "compaction dropped the dead records");
        string table = output.ToString();
        Assert.Contains("| peak RSS of the compaction process | MiB |", table);
        Assert.Contains("| verify the backup against the store | s |", table);
        Assert.Empty(Directory.GetFileSystemEntries(_dir.Path)); // store and backup deleted
    }

    [Fact]
    public void Typed_run_produces_put_and_get_rows()
    {
        var output = new StringWriter();
        var run = new TypedRun(2000, _dir.Path, output);
        run.Run();
        run.PrintTable();
        Assert.Equal(["put", "get"], run.Rows.Select(r => r.Operation));
        Assert.All(run.Rows, r => Assert.True(r.Raw > 0 && r.Typed > 0 && r.Reflection > 0, r.Operation));
        Assert.Contains("typed (generated)", output.ToString());
    }
}
