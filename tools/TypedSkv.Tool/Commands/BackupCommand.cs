using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary>
/// <c>dotnet skv backup &lt;db&gt; &lt;file&gt;</c>: a point-in-time JSON backup. Opens the store read-only, so it
/// works while another process has it open for writing.
/// </summary>
public static class BackupCommand
{
    public const string Name = "backup";

    /// <summary>Test seam: the time a timestamped name is made from.</summary>
    internal static readonly AsyncLocal<Func<DateTimeOffset>?> Clock = new();

    public static readonly string[] Examples =
    [
        "dotnet skv backup app.skv backups/app.json",
        "dotnet skv backup app.skv backups/app.json --gzip --timestamp --keep 7",
        "dotnet skv backup app.skv users.json --prefix user:",
        "dotnet skv backup app.skv - --gzip > app.json.gz",
        "dotnet skv backup redis://127.0.0.1:7000,127.0.0.1:7001 backups/cluster.json",
        "SKV_REDIS_PASSWORD=... dotnet skv backup rediss://app@redis.internal:6380 backups/redis.json --redis-ca /etc/skv/ca.pem",
        "SKV_PASSPHRASE=... dotnet skv backup app.skv backups/full.json.zst --encrypt",
        "dotnet skv backup app.skv backups/mon.json.zst --encrypt --passphrase-file /etc/skv/pass --incremental backups/full.json.zst",
    ];

    /// <summary>
    /// <c>backup db -</c>: the backup goes to stdout (gzip with --gzip), so the report goes to stderr. No temporary
    /// file and no rename; a failure midway leaves a partial document, which verify and restore reject.
    /// </summary>
    private static int ToStdout(TextWriter stderr, string db, string? prefix, bool gzip, bool timestamp, int? keep, OutputSettings o,
        bool zstd, BackupEncryption? encryption, string? incremental, string connection, RedisArgs? redis)
    {
        if (timestamp || keep is not null) throw SkvToolException.Usage("--timestamp and --keep name files: they do not apply to - (stdout)");
        if (o.Json) throw SkvToolException.Usage("--json writes its document to stdout, which - (stdout) holds the backup on: leave one out");
        using var store = Stores.OpenForReading(connection, o.Warnings, redis);
        using var output = Console.OpenStandardOutput();
        var result = SkvBackup.Backup(store, output, new BackupOptions
        {
            Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
            Gzip = gzip,
            Zstd = zstd,
            Encryption = encryption,
            IncrementalBase = incremental,
        });
        output.Flush();
        stderr.WriteLine($"backed up {result.Records} records from {db} to stdout ({Sizes.Format(result.Bytes)}) in {Sizes.Seconds(result.Duration)}");
        return (int)ExitCode.Ok;
    }

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument(redis: true);
        var file = new Argument<string>("file") { Description = "The backup file to write (JSON; gzip-compressed when it ends with .gz or with --gzip); - writes to stdout. A FIFO or device is written as it is." };
        var prefix = new Option<string?>("--prefix") { Description = "Back up only keys that start with this UTF-8 text.", HelpName = "P" };
        var gzip = new Option<bool>("--gzip") { Description = "Compress with gzip (adds .gz to the file name when missing)." };
        var timestamp = new Option<bool>("--timestamp") { Description = "Put a sortable UTC time in the file name: backups/app.json -> backups/app_20261125T120000Z.json." };
        var keep = new Option<int?>("--keep")
        {
            Description = "With --timestamp: afterwards delete the oldest timestamped backups of the same base name beyond the newest N.",
            HelpName = "N",
            CustomParser = ListCommand.PositiveInt,
        };
        var zstd = new Option<bool>("--zstd") { Description = "Compress with zstd (adds .zst to the file name when missing). A name ending in .zst is compressed anyway." };
        var encrypt = new Option<bool>("--encrypt") { Description = $"Encrypt the backup (AES-256-GCM, key from the passphrase with PBKDF2-HMAC-SHA256). Passphrase: --passphrase-file or {BackupSecrets.EnvironmentVariable}." };
        var passphraseFile = BackupSecrets.CreatePassphraseFile();
        var incremental = new Option<string?>("--incremental")
        {
            Description = "Write only what changed since this backup (a full one, or the last file of a chain; earlier files are found by name in its folder): puts and deletions.",
            HelpName = "base",
        };
        var noProgress = CommonOptions.CreateNoProgress();
        var redis = new RedisCredentials.Options();
        var command = new Command(Name, "Write a point-in-time backup of a store to a JSON file. Opens the store read-only, so it works while another process writes to it.")
        {
            db, file, prefix, gzip, timestamp, keep, zstd, encrypt, passphraseFile, incremental, noProgress,
        };
        redis.AddTo(command);
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(file), pr.GetValue(prefix),
            pr.GetValue(gzip), pr.GetValue(timestamp), pr.GetValue(keep), common.Read(pr, noProgress),
            pr.GetValue(zstd), pr.GetValue(encrypt), pr.GetValue(passphraseFile), pr.GetValue(incremental), redis.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string file, string? prefix = null, bool gzip = false,
        bool timestamp = false, int? keep = null, OutputSettings? output = null,
        bool zstd = false, bool encrypt = false, string? passphraseFile = null, string? incremental = null, RedisArgs? redis = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            // messages and --json name the Redis connection without its password
            string connection = db;
            db = Stores.Shown(db);
            if (keep is not null && !timestamp)
                throw SkvToolException.Usage("--keep needs --timestamp: it deletes the oldest timestamped backups of the same base name");
            if (keep is < 1) throw SkvToolException.Usage("--keep must be at least 1");
            if (!Stores.IsRedis(db)) Stores.RequireExisting(db);
            if (gzip && zstd) throw SkvToolException.Usage("--gzip and --zstd: choose one");
            if (incremental is not null && prefix is not null) throw SkvToolException.Usage("--incremental covers the whole store: --prefix cannot be combined with it");
            if (incremental is not null) Stores.RequireFile(incremental, "base backup");
            if (incremental is not null && keep is not null)
                throw SkvToolException.Usage("--keep with --incremental would delete files the chain needs: rotate whole chains instead (docs/cli.md, nightly script)");
            if (passphraseFile is not null && !encrypt) throw SkvToolException.Usage("--passphrase-file needs --encrypt (backups are encrypted only when asked)");
            var encryption = encrypt ? BackupSecrets.ForEncrypting(passphraseFile) : null;
            if (file == "-") return ToStdout(stderr, db, prefix, gzip, timestamp, keep, o, zstd, encryption, incremental, connection, redis);
            // a path that is this process's stdout (/dev/stdout, a link to it): the report must not go into the backup
            bool toStdout = !OperatingSystem.IsWindows() && SkvFileIdentity.SameFile(file, "/dev/stdout");
            if (toStdout && o.Json) throw SkvToolException.Usage($"{file} is stdout, where --json would write its document too: leave one out");

            if (Directory.Exists(file)) throw SkvToolException.Usage($"{file} is a directory: name the backup file in it, e.g. {Path.Combine(file, "app.json")}");
            string basePath = gzip && !file.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? file + ".gz"
                : zstd && !file.EndsWith(".zst", StringComparison.OrdinalIgnoreCase) ? file + ".zst" : file;
            string? directory = Path.GetDirectoryName(Path.GetFullPath(basePath));
            if (directory is not null) Directory.CreateDirectory(directory);

            BackupResult result;
            using (var store = Stores.OpenForReading(connection, o.Warnings, redis))
            {
                var options = new BackupOptions
                {
                    Prefix = string.IsNullOrEmpty(prefix) ? null : prefix,
                    Gzip = gzip ? true : null,
                    Zstd = zstd ? true : null,
                    Encryption = encryption,
                    IncrementalBase = incremental,
                    // a timestamped name is never reused: a backup finishing under the same name first wins, this one takes the next
                    Overwrite = !timestamp,
                };
                DateTimeOffset now = Clock.Value?.Invoke() ?? DateTimeOffset.UtcNow;
                for (int attempt = 1; ; attempt++)
                {
                    string target = timestamp ? SkvBackup.UniqueTimestampedPath(basePath, now) : basePath;
                    if (!Stores.IsRedis(db)) Stores.RefuseStoreFiles(target, db, "backup file");
                    try
                    {
                        result = ProgressDisplay.Run(stderr, o.Progress, "backup", sink =>
                        {
                            options.Progress = BackupProgress.From(sink);
                            return SkvBackup.Backup(store, target, options);
                        });
                        break;
                    }
                    catch (IOException) when (timestamp && File.Exists(target) && attempt < 10)
                    {
                    }
                }
            }

            IReadOnlyList<string> pruned = [];
            if (keep is { } k && o.Warnings.StoreDataDiscarded)
            {
                o.Warnings.Add(new Warning("not-pruned",
                    $"--keep {k}: no old backup was deleted, because the store was not read whole (see the warning above); the older backups may hold what this one lacks"));
            }
            else if (keep is { } n)
            {
                var prune = SkvBackup.PruneBackups(basePath, n, result.Path);
                pruned = prune.Deleted;
                if (prune.Newer.Count > 0)
                {
                    o.Warnings.Add(new Warning("backups-newer",
                        $"{prune.Newer.Count} backup(s) are stamped after this one and were kept and not counted for --keep (a clock that went back, or a stray file): {string.Join(", ", prune.Newer)}"));
                }
            }

            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new BackupDocument(db, result.Path, result.Records, result.Bytes, result.Checksum, (long)result.Duration.TotalMilliseconds, pruned)
                {
                    Encrypted = encryption is not null,
                    IncrementalBase = incremental,
                });
            }
            else
            {
                var report = toStdout ? stderr : stdout;
                string size = result.Bytes >= 0 ? Sizes.Format(result.Bytes) : "written as a stream";
                string what = incremental is null ? $"{result.Records} records" : $"{result.Records} changes since {incremental}";
                report.WriteLine($"backed up {what} from {db} to {result.Path}{(encryption is null ? "" : " (encrypted)")} ({size}) in {Sizes.Seconds(result.Duration)}");
                foreach (string p in pruned) report.WriteLine($"deleted old backup {p}");
            }
            return (int)ExitCode.Ok;
        });
}
