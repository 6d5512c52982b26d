using BenchmarkDotNet.Running;
using TypedSkv.Benchmarks;

// --quick [--n N] [--durable-n N] [--litedb-n N] [--systems A,B] [--backup-value-bytes B] [--no-backup]: one table of rates and ratios from one run.
// --scale [--scale-max 10M|100M|N] [--scale-only N] [--systems A,B] [--reads R]: open time, memory and read rate at N = 1M, 10M (100M), one process per system
//   [--maintenance] (--scale-only: that N alone, e.g. the 100M run without repeating 1M and 10M; --maintenance: then, for TypedSkv,
//   delete/overwrite a fifth of the records, compact, back up and verify, a child process each).
// --child load|open|churn|compact|backup|verify ...: one measurement of the above in its own process (started by them).
// anything else: BenchmarkDotNet micro benchmarks (BenchmarkSwitcher arguments, e.g. --filter '*').
string? Value(string name) => Array.IndexOf(args, name) is int i and >= 0 ? args[i + 1] : null;
int Arg(string name, int fallback) => Value(name) is { } v ? int.Parse(v) : fallback;

if (args.Length > 0 && args[0] == "--child") return ChildRun.Run(args[1..], Console.Out);

if (args.Contains("--scale"))
{
    long max = ScaleRun.ParseCount(Value("--scale-max") ?? "10M");
    long[] ns = [.. new[] { 1_000_000L, 10_000_000L, 100_000_000L }.Where(n => n <= max)];
    if (ns.Length == 0) ns = [max]; // a small N, for trying the mode out
    if (Value("--scale-only") is { } only) ns = [ScaleRun.ParseCount(only)];
    string dir = Path.Combine(Path.GetTempPath(), "typedskv-scale-" + Environment.ProcessId);
    try
    {
        new ScaleRun(new ScaleRun.Settings(ns, (Value("--systems") ?? "TypedSkv,SQLite,LMDB,RocksDB").Split(','), dir, Arg("--reads", 1_000_000),
            Maintenance: args.Contains("--maintenance")), Console.Out).Run();
    }
    finally
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
    return 0;
}

if (args.Contains("--quick"))
{
    string systems = Value("--systems") ?? "TypedSkv,SQLite,LiteDB,LMDB,RocksDB,AppendLog+Dict";
    string dir = Path.Combine(Path.GetTempPath(), "typedskv-bench-" + Environment.ProcessId);
    try
    {
        var run = new QuickRun(new QuickRun.Settings(
            N: Arg("--n", 1_000_000),
            DurableN: Arg("--durable-n", 2000),
            LiteDbN: Arg("--litedb-n", 100_000),
            BatchSize: Arg("--batch", 1000),
            BackupValueBytes: Arg("--backup-value-bytes", 100),
            Directory: dir,
            Systems: systems.Split(',')), Console.Out);
        run.Run();
        if (!args.Contains("--no-backup")) run.RunBackupRestore();
        run.PrintTable();
        if (!args.Contains("--no-typed"))
        {
            var typed = new TypedRun(Arg("--typed-n", 200_000), dir, Console.Out);
            typed.Run();
            typed.PrintTable();
        }
    }
    finally
    {
        if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
    return 0;
}
BenchmarkSwitcher.FromAssembly(typeof(QuickRun).Assembly).Run(args);
return 0;
