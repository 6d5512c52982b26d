using System.Runtime.InteropServices;

namespace TypedSkv.Benchmarks;

/// <summary>
/// How open time, memory and read rate grow with the number of records: for each N, each system loads the records
/// in a child process of its own, then a fresh child reopens the store and reads it. One table per N, every system
/// side by side, with each figure's ratio to LMDB's; then one growth table across the N. With
/// <see cref="Settings.Maintenance"/>, TypedSkv's store then goes through the steps of <see cref="ScaleMaintenance"/>
/// (churn, compact, backup, verify), a fresh child each.
/// </summary>
public sealed class ScaleRun(ScaleRun.Settings settings, TextWriter output)
{
    public sealed record Settings(long[] Ns, string[] Systems, string Directory, int Reads, bool Maintenance = false);

    private sealed record Metric(string Label, string Unit, string Key, bool Ratio = true, string Format = "");

    private static readonly Metric[] Metrics =
    [
        new("load, batches of 1000 (non-durable)", "records/s", "load_rate"),
        new("peak RSS of the load process", "MiB", "load_peak_mib"),
        new("file size after a clean close", "MiB", "file_mib"),
        new("open after a clean close (fresh process)", "ms", "open_ms"),
        new("private memory after open (RssAnon)", "MiB", "anon_open_mib"),
        new("  above the bare runtime's", "MiB", "anon_added_mib", Ratio: false),
        new("file pages mapped after open (RssFile)", "MiB", "file_open_mib", Ratio: false),
        new("point reads, 1 thread (warm)", "ops/s", "reads1"),
        new("point reads, 2 threads (warm)", "ops/s", "reads2"),
        new("private memory after the reads", "MiB", "anon_reads_mib"),
        new("peak RSS of the open + read process", "MiB", "peak_mib"),
    ];

    private static readonly Metric[] MaintenanceMetrics =
    [
        new("delete 10%, overwrite 10% (batches of 1000)", "ops/s", "churn_rate", Ratio: false),
        new("file size before compaction (log + checkpoint)", "MiB", "compact_before_mib", Ratio: false),
        new("  of it the log (data file)", "MiB", "compact_log_before_mib", Ratio: false),
        new("compaction", "s", "compact_s", Ratio: false),
        new("peak RSS of the compaction process", "MiB", "compact_peak_mib", Ratio: false),
        new("file size after compaction (log + checkpoint)", "MiB", "compact_after_mib", Ratio: false),
        new("  of it the log (data file)", "MiB", "compact_log_after_mib", Ratio: false),
        new("backup to a file (streaming JSON)", "s", "backup_s", Ratio: false),
        new("peak RSS of the backup process", "MiB", "backup_peak_mib", Ratio: false),
        new("backup file size", "MiB", "backup_mib", Ratio: false),
        new("verify the backup against the store", "s", "verify_s", Ratio: false),
        new("peak RSS of the verify process", "MiB", "verify_peak_mib", Ratio: false),
    ];

    private IEnumerable<Metric> Shown => settings.Maintenance ? Metrics.Concat(MaintenanceMetrics) : Metrics;

    public Dictionary<(long N, string System), Dictionary<string, double>> Results { get; } = [];

    public void Run()
    {
        foreach (long n in settings.Ns)
        {
            foreach (var system in settings.Systems)
            {
                string dir = Path.Combine(settings.Directory, $"{system.Replace('+', '_')}-{n}");
                if (System.IO.Directory.Exists(dir)) System.IO.Directory.Delete(dir, recursive: true);
                output.WriteLine($"# N = {Count(n)}, {system}: load");
                var figures = ChildRun.Spawn("load", system, dir, n.ToString());
                output.WriteLine($"# N = {Count(n)}, {system}: open + reads");
                foreach (var kv in ChildRun.Spawn("open", system, dir, n.ToString(), Math.Min(settings.Reads, n).ToString()))
                    figures[kv.Key] = kv.Value;
                figures["anon_added_mib"] = figures["anon_open_mib"] - figures["anon_before_mib"];
                if (settings.Maintenance && system == "TypedSkv")
                {
                    foreach (var step in new[] { "churn", "compact", "backup", "verify" })
                    {
                        output.WriteLine($"# N = {Count(n)}, {system}: {step}");
                        foreach (var kv in ChildRun.Spawn(step, system, dir, n.ToString())) figures[kv.Key] = kv.Value;
                    }
                    File.Delete(ScaleMaintenance.BackupPath(dir));
                }
                Results[(n, system)] = figures;
                System.IO.Directory.Delete(dir, recursive: true); // 100M records of each system would not fit side by side
            }
            PrintTable(n);
        }
        if (settings.Ns.Length > 1) PrintGrowth();
    }

    private void PrintTable(long n)
    {
        var peers = settings.Systems.Where(s => s != "LMDB").ToArray();
        bool lmdb = settings.Systems.Contains("LMDB");
        output.WriteLine();
        output.WriteLine($"N = {Count(n)} records ({BenchData.KeyBytes}-byte hex-hash keys in random order, {BenchData.ValueBytes}-byte values), "
            + $"{Math.Min(settings.Reads, n):N0} reads per pass; one process per system and step");
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.FrameworkDescription}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC" + (lmdb ? $"; LMDB library: {LmdbLibrary()}" : ""));
        output.WriteLine();
        output.WriteLine("| | unit | " + string.Join(" | ", settings.Systems) + (lmdb ? " | " + string.Join(" | ", peers.Select(p => $"{p} / LMDB")) : "") + " |");
        output.WriteLine("|---|---|" + string.Concat(settings.Systems.Select(_ => "---:|")) + (lmdb ? string.Concat(peers.Select(_ => "---:|")) : ""));
        foreach (var m in Shown)
        {
            string Cell(string s) => Results[(n, s)].TryGetValue(m.Key, out var v) ? Format(v, m.Unit) : "-";
            string RatioToLmdb(string s)
            {
                if (!m.Ratio || !Results[(n, s)].TryGetValue(m.Key, out var a) || !Results[(n, "LMDB")].TryGetValue(m.Key, out var b) || b <= 0) return "-";
                return ScaleRun.Ratio(a / b);
            }
            output.WriteLine($"| {m.Label} | {m.Unit} | " + string.Join(" | ", settings.Systems.Select(Cell))
                + (lmdb ? " | " + string.Join(" | ", peers.Select(RatioToLmdb)) : "") + " |");
        }
        output.WriteLine();
        output.WriteLine("Ratios are the system's figure divided by LMDB's (for times and memory lower is better, for rates higher). "
            + "Private memory = RssAnon (/proc/self/status): anonymous pages, not the page cache; the bare runtime's (before the "
            + $"warm-up) is {string.Join(", ", settings.Systems.Select(s => $"{s} {Results[(n, s)]["anon_before_mib"]:0} MiB"))}."
            + (settings.Maintenance ? " Maintenance (TypedSkv, after the reads, a fresh process per step): delete every 10th record and overwrite the next, "
                + "compact, back up to a JSON file (SkvBackup.Backup), verify that file against the store (SkvBackup.Verify); peak RSS = VmHWM of that process, opening the store included." : ""));
        output.WriteLine();
    }

    /// <summary>Each figure at each N, per system, so the growth with N shows in one place.</summary>
    private void PrintGrowth()
    {
        output.WriteLine("Growth with N (" + string.Join(" -> ", settings.Ns.Select(Count)) + "):");
        output.WriteLine();
        output.WriteLine("| | unit | " + string.Join(" | ", settings.Systems) + " |");
        output.WriteLine("|---|---|" + string.Concat(settings.Systems.Select(_ => "---:|")));
        foreach (var m in Shown.Where(m => m.Key is "open_ms" or "anon_open_mib" or "peak_mib" or "reads1" or "reads2" or "file_mib"
            or "compact_s" or "compact_peak_mib" or "backup_s" or "backup_peak_mib" or "verify_s" or "verify_peak_mib"))
            output.WriteLine($"| {m.Label} | {m.Unit} | " + string.Join(" | ", settings.Systems.Select(s =>
                string.Join(" -> ", settings.Ns.Select(n => Results[(n, s)].TryGetValue(m.Key, out var v) ? Format(v, m.Unit) : "-")))) + " |");
        output.WriteLine();
    }

    public static string LmdbLibrary()
    {
        try { return LmdbNative.Describe(); }
        catch (DllNotFoundException) { return "not loadable"; }
    }

    public static string Ratio(double r) => r switch
    {
        >= 100 => $"{r:0}x",
        >= 0.1 => $"{r:0.00}x",
        _ => $"{r:0.0###}x",
    };

    public static string Count(long n) => n switch
    {
        >= 1_000_000 when n % 1_000_000 == 0 => $"{n / 1_000_000}M",
        >= 1000 when n % 1000 == 0 => $"{n / 1000}k",
        _ => n.ToString("N0"),
    };

    public static long ParseCount(string text)
    {
        text = text.Trim().ToUpperInvariant();
        long factor = text.EndsWith('M') ? 1_000_000 : text.EndsWith('K') ? 1000 : 1;
        return long.Parse(factor == 1 ? text : text[..^1], System.Globalization.CultureInfo.InvariantCulture) * factor;
    }

    private static string Format(double v, string unit) => unit switch
    {
        "MiB" => v >= 100 ? $"{v:0}" : $"{v:0.0}",
        "ms" or "s" => v >= 100 ? $"{v:0}" : $"{v:0.0}",
        _ => v switch
        {
            >= 1e6 => $"{v / 1e6:0.00}M",
            >= 1e4 => $"{v / 1e3:0.0}k",
            _ => $"{v:0}",
        },
    };
}
