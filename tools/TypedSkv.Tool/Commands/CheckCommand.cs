using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary>
/// <c>dotnet skv check &lt;db&gt;</c>: the engine's integrity check (<see cref="SkvCheck.Check"/>), rendered.
/// Damage inside the file and a torn tail are data problems (exit 1).
/// </summary>
public static class CheckCommand
{
    public const string Name = "check";

    public static readonly string[] Examples =
    [
        "dotnet skv check app.skv",
        "dotnet skv check app.skv --json",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var command = new Command(Name, "Check a store's integrity: every record checksum, every live value, and the tail of the file. Read-only: repairs nothing. Exit 1 when damage or a torn tail is found.")
        {
            db,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), common.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            Stores.RequireExisting(db);
            var report = SkvCheck.Check(db);
            var problems = report.Problems;
            long fileLength = report.FileSizeBytes, records = report.Records, valuesChecked = report.ValuesChecked, valueBytes = report.ValueBytes;
            long? tornOffset = report.TornTail?.Offset, tornBytes = report.TornTail?.Length, inProgressBytes = report.InProgressBytes;

            var code = problems.Count == 0 ? ExitCode.Ok : ExitCode.DataProblem;
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, code, new CheckDocument(db, fileLength, records, valuesChecked, valueBytes,
                    tornOffset is { } to && tornBytes is { } tb ? new TornTailEntry(to, tb) : null, inProgressBytes,
                    [.. problems.Select(p => new CheckProblemEntry(p.Offset, p.Key, p.Message))]));
            }
            else if (problems.Count == 0)
            {
                stdout.WriteLine($"ok: {db}: {records} records, {valuesChecked} values read and verified ({Sizes.Format(valueBytes)}), file {Sizes.Format(fileLength)}");
                if (inProgressBytes is { } ip)
                    stdout.WriteLine($"  the last {ip} bytes are a write in progress: another process has the store open for writing");
            }
            else
            {
                stdout.WriteLine($"FAILED: {db}: {problems.Count} problem(s)");
                foreach (var p in problems) stdout.WriteLine("  " + Describe(p));
            }
            // text output listed every problem on stdout already: the error line counts them instead of repeating one
            if (problems.Count > 0)
                stderr.WriteLine(o.Json
                    ? $"error: {db} failed the integrity check: {CommandRunner.OneLine(Describe(problems[0]))}"
                    : $"error: {db} failed the integrity check: {problems.Count} problem(s), listed above");
            return (int)code;
        });

    private static string Describe(SkvCheckProblem p)
    {
        string where = p.Offset is { } off ? $"offset {off}" : "file";
        return p.Key is null ? $"{where}: {p.Message}" : $"{where} (key {p.Key}): {p.Message}";
    }
}
