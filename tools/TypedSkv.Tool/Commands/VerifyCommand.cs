using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary>
/// <c>dotnet skv verify &lt;file&gt; [--db &lt;db&gt;]</c>: check a backup file; with --db also compare it with a
/// store (opened read-only). Any problem or difference is a data problem (exit 1).
/// </summary>
public static class VerifyCommand
{
    public const string Name = "verify";

    public static readonly string[] Examples =
    [
        "dotnet skv verify backups/app.json",
        "dotnet skv verify backups/app.json.gz --db app.skv --json",
        "dotnet skv verify backups/week/full.json.zst backups/week/mon.json.zst --db app.skv",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var files = ChainArguments.Create("The backup file to check (.json, gzip, zstd or encrypted: recognised by its first bytes); - reads stdin. For a chain: the full backup, then its incrementals in order.");
        var db = new Option<string?>("--db") { Description = "Also compare the backup with this store (opened read-only) or Redis (redis://host:port[,host:port...], rediss:// for TLS): missing, extra and different keys.", HelpName = "db" };
        var prefix = new Option<string?>("--prefix")
        {
            Description = "With --db: only store keys with this prefix count as missing from the backup. A backup taken with --prefix records its prefix, which is used when this is not given.",
            HelpName = "P",
        };
        var until = ChainArguments.CreateUntil();
        var passphraseFile = BackupSecrets.CreatePassphraseFile();
        var noProgress = CommonOptions.CreateNoProgress();
        var redis = new RedisCredentials.Options();
        var command = new Command(Name, "Check a backup file: structure, encodings, record count and checksum; with --db also compare it with a store, key by key. Exit 1 on any problem or difference, naming the record where it can.")
        {
            files, db, prefix, until, passphraseFile, noProgress,
        };
        redis.AddTo(command);
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(files)[0], pr.GetValue(db), pr.GetValue(prefix), common.Read(pr, noProgress),
            pr.GetValue(passphraseFile), pr.GetRequiredValue(files)[1..], ChainArguments.ParseUntil(pr.GetValue(until)), redis.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string file, string? db = null, string? prefix = null, OutputSettings? output = null,
        string? passphraseFile = null, IReadOnlyList<string>? incrementals = null, DateTimeOffset? until = null, RedisArgs? redis = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            // messages and --json name the Redis connection without its password
            string? connection = db;
            db = db is null ? null : Stores.Shown(db);
            if (db is null && redis is { Any: true }) throw SkvToolException.Usage("the --redis-* options are for comparing with Redis (--db redis://...)");
            bool stdin = file == "-";
            if (!stdin) Stores.RequireFile(file, "backup file");
            if (prefix is not null && db is null) throw SkvToolException.Usage("--prefix only applies when comparing with a store (--db)");
            if (stdin && (incrementals is { Count: > 0 } || until is not null))
                throw SkvToolException.Usage("- (stdin) holds one backup: a chain, and --until, need its files");
            var chain = stdin ? null : ChainArguments.Chain(file, incrementals, until);
            var encryption = BackupSecrets.Read(passphraseFile);
            if (!stdin) ChainArguments.CheckSecret(chain ?? [file], encryption);
            VerifyReport report;
            if (db is null)
            {
                report = ProgressDisplay.Run(stderr, o.Progress, "verify", sink =>
                {
                    var options = new VerifyOptions { Progress = BackupProgress.From(sink), Encryption = encryption };
                    return stdin ? SkvBackup.Verify(Console.OpenStandardInput(), "stdin", options)
                        : chain is not null ? SkvBackup.Verify(chain, null, options, until)
                        : SkvBackup.Verify(file, options);
                });
            }
            else
            {
                using var store = Stores.OpenForReading(connection!, o.Warnings, redis);
                report = ProgressDisplay.Run(stderr, o.Progress, "verify", sink =>
                {
                    var options = new VerifyOptions
                    {
                        Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
                        Progress = BackupProgress.From(sink),
                        Encryption = encryption,
                    };
                    return stdin ? SkvBackup.Verify(Console.OpenStandardInput(), store, "stdin", options)
                        : chain is not null ? SkvBackup.Verify(chain, store, options, until)
                        : SkvBackup.Verify(file, store, options);
                });
            }

            var c = report.Comparison;
            // Ok means no problem at all; every missing, extra or different key is one
            var code = report.Ok ? ExitCode.Ok : ExitCode.DataProblem;

            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, code, new VerifyDocument(report.Path, db, report.Version, report.Prefix, report.Format, report.Records, report.DeclaredRecords,
                    report.TextRecords, report.Base64Records, report.Bytes, report.DuplicateKeys, report.HasChecksum, report.ChecksumValid, report.ProblemCount,
                    [.. report.Problems.Select(p => new VerifyProblemEntry(p.RecordIndex, p.Key, p.Message))],
                    c is null ? null : new ComparisonEntry(c.Matching, c.MissingInStore, c.ExtraInStore, c.DifferentValues))
                {
                    CreatedAt = report.CreatedAt?.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    Encrypted = report.Encrypted,
                    Compression = report.Compression,
                });
            }
            else
            {
                string checksum = report.HasChecksum ? (report.ChecksumValid == true ? "checksum valid" : "checksum INVALID") : "no checksum";
                string summary = $"{report.Path}: format {report.Version ?? report.Format}, {report.Records} records ({report.TextRecords} text, {report.Base64Records} base64), {Sizes.Format(report.Bytes)}, {checksum}";
                if (code == ExitCode.Ok) stdout.WriteLine("ok: " + summary);
                else stdout.WriteLine($"FAILED: {summary}, {report.ProblemCount} problem(s)");
                foreach (var p in report.Problems) stdout.WriteLine("  " + Describe(p));
                if (report.ProblemCount > report.Problems.Count) stdout.WriteLine($"  ... and {report.ProblemCount - report.Problems.Count} more");
                if (c is not null)
                    stdout.WriteLine($"compared with {db}{(report.Prefix is { } bp && prefix is null ? $" (keys under the backup's prefix {bp})" : "")}: {c.Matching} matching, {c.MissingInStore} missing in the store, {c.ExtraInStore} only in the store, {c.DifferentValues} with different values");
            }

            if (code != ExitCode.Ok)
            {
                long problemCount = report.ProblemCount;
                // name a record when any problem can: "record 3 (key ...)" says more than a file-wide checksum
                var first = report.Problems.FirstOrDefault(p => p.RecordIndex is not null || p.Key is not null)
                    ?? report.Problems.FirstOrDefault();
                // text output listed every problem on stdout already: the error line counts them instead of repeating one
                string why = o.Json && first is not null
                    ? $"{report.Path} failed verification: {CommandRunner.OneLine(Describe(first))}" + (problemCount > 1 ? $" (and {problemCount - 1} more)" : "")
                    : $"{report.Path} failed verification: {problemCount} problem(s){(o.Json ? "" : ", listed above")}";
                // the file's checksum covers all records together: only the store can tell which record changed
                if (db is null && report.ChecksumValid == false && report.Problems.All(p => p.RecordIndex is null && p.Key is null))
                    why += "; the checksum covers all records, compare with the store (--db <db>) to find the changed record";
                stderr.WriteLine("error: " + why);
            }
            return (int)code;
        });

    private static string Describe(VerifyProblem p)
    {
        string where = (p.RecordIndex, p.Key) switch
        {
            ({ } i, { } k) => $"record index {i} (key {k})",
            ({ } i, null) => $"record index {i}",
            (null, { } k) => $"key {k}",
            _ => "file",
        };
        return $"{where}: {p.Message}";
    }
}
