using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv compact &lt;db&gt;</c>: rewrite the live records into a new file.</summary>
public static class CompactCommand
{
    public const string Name = "compact";

    public static readonly string[] Examples =
    [
        "dotnet skv compact app.skv",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var wait = CommonOptions.CreateWait();
        var command = new Command(Name, "Rewrite the store without overwritten and deleted records (atomic swap; needs the write lock, so the store must not be open for writing elsewhere).")
        {
            db, wait,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), common.Read(pr), pr.GetValue(wait)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, OutputSettings? output = null, double? wait = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            using var store = Stores.OpenWriter(db, createIfMissing: false, o.Warnings, Stores.Wait(wait));
            var result = store.Compact();
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new CompactDocument(db, result.LiveRecords, result.BytesBefore, result.BytesAfter, result.BytesReclaimed, (long)result.Duration.TotalMilliseconds));
            }
            else
            {
                stdout.WriteLine($"compacted {db}: {result.LiveRecords} records, {Sizes.Format(result.BytesBefore)} -> {Sizes.Format(result.BytesAfter)}, reclaimed {Sizes.Format(result.BytesReclaimed)} in {Sizes.Seconds(result.Duration)}");
            }
            return (int)ExitCode.Ok;
        });
}
