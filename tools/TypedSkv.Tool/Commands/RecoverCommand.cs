using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary>
/// <c>dotnet skv recover &lt;damaged.skv&gt; &lt;new.skv&gt;</c>: salvage what verifies in a damaged store into a new
/// one (<see cref="SkvSalvage.Recover"/>). Exit 0 when nothing was lost, 1 when something was.
/// </summary>
public static class RecoverCommand
{
    public const string Name = "recover";

    public static readonly string[] Examples =
    [
        "dotnet skv recover damaged.skv recovered.skv",
        "dotnet skv recover damaged.skv recovered.skv --json",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var damaged = new Argument<string>("damaged") { Description = "The damaged store's data file (only read; nothing is repaired in place)." };
        var target = new Argument<string>("new") { Description = "The new store to write; must not exist." };
        var command = new Command(Name, "Salvage a damaged store into a new one: every record that verifies is kept, damaged ranges are skipped up to the next valid record, each key keeps its last committed state. Prints the byte ranges lost. Exit 0 when nothing was lost, 1 when something was.")
        {
            damaged, target,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(damaged), pr.GetRequiredValue(target), common.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string damaged, string target, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            Stores.RequireExisting(damaged);
            if (File.Exists(target) || Directory.Exists(target))
                throw SkvToolException.Usage($"{target} exists: recover writes a new store and never overwrites one; name a path that does not exist");
            SkvRecoverResult result;
            try
            {
                result = SkvSalvage.Recover(damaged, target);
            }
            catch (SkvStoreExistsException ex)
            {
                throw SkvToolException.Usage(ex.Message, ex);
            }
            var code = result.Complete ? ExitCode.Ok : ExitCode.DataProblem;
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, code, new RecoverDocument(damaged, target, result.RecordsVerified, result.Keys, result.LostBytes, result.DiscardedBatchRecords,
                    [.. result.DamagedRanges.Select(r => new DamagedRangeEntry(r.Offset, r.Length, r.AtEnd))], (long)result.Duration.TotalMilliseconds));
            }
            else
            {
                stdout.WriteLine($"recovered {result.Keys} keys from {damaged} into {target} ({result.RecordsVerified} records verified) in {Sizes.Seconds(result.Duration)}");
                foreach (var r in result.DamagedRanges)
                    stdout.WriteLine($"  lost bytes {r.Offset}..{r.Offset + r.Length} ({Sizes.Format(r.Length)}){(r.AtEnd ? ", to the end of the file" : ", up to the next valid record")}");
                if (result.DiscardedBatchRecords > 0)
                    stdout.WriteLine($"  dropped {result.DiscardedBatchRecords} records of transactions whose commit was lost or never written");
            }
            if (!result.Complete)
                stderr.WriteLine($"error: {damaged} was damaged: {Sizes.Format(result.LostBytes)} in {result.DamagedRanges.Count} range(s) and {result.DiscardedBatchRecords} uncommitted records lost; {target} holds everything else");
            return (int)code;
        });
}
