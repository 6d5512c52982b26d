using BenchmarkDotNet.Running;
using TypedSkv.Benchmarks;

// --quick [--n N] [--durable-n N] [--litedb-n N] [--systems A,B] [--backup-value-bytes B] [--no-backup]: one table of rates and ratios from one run.
// anything else: BenchmarkDotNet micro benchmarks (BenchmarkSwitcher arguments, e.g. --filter '*').
if (args.Contains("--quick"))
{
    int Arg(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 ? int.Parse(args[i + 1]) : fallback;
    string systems = Array.IndexOf(args, "--systems") is int s and >= 0 ? args[s + 1] : "TypedSkv,SQLite,LiteDB,AppendLog+Dict";
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
