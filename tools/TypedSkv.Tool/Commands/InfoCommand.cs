using System.CommandLine;
using System.Globalization;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv info &lt;db&gt;</c>: a store's size figures.</summary>
public static class InfoCommand
{
    public const string Name = "info";

    public static readonly string[] Examples =
    [
        "dotnet skv info app.skv",
        "dotnet skv info app.skv --json",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var command = new Command(Name, "Show a store's records, dead records, file size, live bytes, format version and creation time (read-only; works while another process writes).")
        {
            db,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), common.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            using var store = Stores.OpenReadOnly(db, o.Warnings);
            var stats = store.GetStats();
            string created = store.CreatedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new InfoDocument(db, stats.LiveRecords, stats.DeadRecords, stats.FileSizeBytes, stats.LiveBytes, stats.FormatVersion, created));
            }
            else
            {
                stdout.WriteLine($"store:          {db}");
                stdout.WriteLine($"records:        {stats.LiveRecords.ToString(CultureInfo.InvariantCulture)}");
                stdout.WriteLine($"dead records:   {stats.DeadRecords.ToString(CultureInfo.InvariantCulture)}");
                stdout.WriteLine($"file size:      {Sizes.Format(stats.FileSizeBytes)}");
                stdout.WriteLine($"live bytes:     {Sizes.Format(stats.LiveBytes)}");
                stdout.WriteLine($"format version: {stats.FormatVersion.ToString(CultureInfo.InvariantCulture)}");
                stdout.WriteLine($"created:        {created}");
            }
            return (int)ExitCode.Ok;
        });
}
