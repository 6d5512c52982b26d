using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary>How restore treats the keys already in the store.</summary>
public enum RestoreModeArg
{
    /// <summary>Keep the store's other keys; the backup's keys overwrite (the seed's behaviour).</summary>
    Merge,

    /// <summary>The store holds exactly the backup's keys afterwards.</summary>
    Replace,
}

/// <summary>
/// <c>dotnet skv restore &lt;db&gt; &lt;file&gt;</c>: load a backup into a store, all or nothing (one transaction).
/// </summary>
public static class RestoreCommand
{
    public const string Name = "restore";

    /// <summary>Test seam: runs after restore has found the store missing (another process may create it then).</summary>
    internal static readonly AsyncLocal<Action?> AfterStoreLookup = new();

    public static readonly string[] Examples =
    [
        "dotnet skv restore app.skv backups/app_20261125T120000Z.json",
        "dotnet skv restore app.skv backups/app.json --key user:42 --dry-run",
        "dotnet skv restore app.skv backups/app.json.gz --prefix user: --missing-only",
        "zcat backups/app.json.gz | dotnet skv restore new.skv -",
        "dotnet skv restore rediss://app@redis.internal:6380/0 backups/app.json --redis-password-file /etc/skv/redis-pass --redis-ca /etc/skv/ca.pem",
        "dotnet skv restore app.skv backups/week/full.json.zst backups/week/mon.json.zst backups/week/tue.json.zst --until 2026-12-01T12:00:00Z",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument(redis: true);
        var files = ChainArguments.Create("The backup file to read (.json, gzip, zstd or encrypted: recognised by its first bytes); - reads stdin. For a chain: the full backup, then its incrementals in order.");
        var mode = new Option<RestoreModeArg>("--mode")
        {
            Description = "merge: keep other keys, the backup's keys overwrite; replace: the store (or, with --key/--prefix, the selected keys) holds exactly the backup afterwards.",
            DefaultValueFactory = _ => RestoreModeArg.Merge,
            HelpName = "merge|replace",
            // the default parser's error names the enum type (RestoreModeArg)
            CustomParser = r =>
            {
                string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
                if (text.Equals("merge", StringComparison.OrdinalIgnoreCase)) return RestoreModeArg.Merge;
                if (text.Equals("replace", StringComparison.OrdinalIgnoreCase)) return RestoreModeArg.Replace;
                r.AddError($"--mode must be merge or replace, not '{text}'");
                return RestoreModeArg.Merge;
            },
        };
        var keys = new Option<string[]>("--key")
        {
            Description = "Restore only this key (UTF-8 text; repeat for more). Other keys of the store and of the backup are left alone.",
            HelpName = "K",
            AllowMultipleArgumentsPerToken = false,
        };
        var prefixes = new Option<string[]>("--prefix")
        {
            Description = "Restore only keys that start with this UTF-8 text (repeatable; with --key: either).",
            HelpName = "P",
        };
        var missingOnly = new Option<bool>("--missing-only") { Description = "Restore only keys the store does not hold; never change an existing key." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Read and validate the whole backup and print what a restore would do (added, overwritten, unchanged, removed); write nothing, take no lock." };
        var until = ChainArguments.CreateUntil();
        var passphraseFile = BackupSecrets.CreatePassphraseFile();
        var noProgress = CommonOptions.CreateNoProgress();
        var wait = CommonOptions.CreateWait();
        var waitReplicas = new Option<int?>("--wait-replicas")
        {
            Description = "Redis only: finish only when this many replicas of every primary written have the restore (WAIT); otherwise exit 2, and the same restore can be run again.",
            HelpName = "N",
            CustomParser = ListCommand.PositiveInt,
        };
        var redis = new RedisCredentials.Options();
        var command = new Command(Name, "Restore a backup into a store (created when missing), all or nothing: a malformed backup leaves the store unchanged. Needs the write lock.")
        {
            db, files, mode, keys, prefixes, missingOnly, dryRun, until, passphraseFile, noProgress, wait, waitReplicas,
        };
        redis.AddTo(command);
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(files)[0], pr.GetValue(mode),
            pr.GetValue(dryRun), common.Read(pr, noProgress), new Selection(pr.GetValue(keys) ?? [], pr.GetValue(prefixes) ?? [], pr.GetValue(missingOnly)), pr.GetValue(wait),
            pr.GetValue(passphraseFile), pr.GetRequiredValue(files)[1..], ChainArguments.ParseUntil(pr.GetValue(until)), pr.GetValue(waitReplicas), redis.Read(pr)));
        return command;
    }

    /// <summary>What a partial restore takes: exact keys, key prefixes (either matches), and whether only missing keys.</summary>
    public sealed record Selection(IReadOnlyList<string> Keys, IReadOnlyList<string> Prefixes, bool MissingOnly = false)
    {
        public static Selection All { get; } = new([], []);

        public bool IsPartial => Keys.Count > 0 || Prefixes.Count > 0 || MissingOnly;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string file, RestoreModeArg mode = RestoreModeArg.Merge,
        bool dryRun = false, OutputSettings? output = null, Selection? selection = null, double? wait = null,
        string? passphraseFile = null, IReadOnlyList<string>? incrementals = null, DateTimeOffset? until = null, int? waitReplicas = null, RedisArgs? redis = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            // messages and --json name the Redis connection without its password
            string connection = db;
            db = Stores.Shown(db);
            if (!Stores.IsRedis(db)) RedisCredentials.RefuseForStoreFile(redis, db);
            selection ??= Selection.All;
            if (waitReplicas is not null && !Stores.IsRedis(db))
                throw SkvToolException.Usage("--wait-replicas is for a restore into Redis (WAIT for its replicas); a store file has none");
            if (waitReplicas is < 1) throw SkvToolException.Usage("--wait-replicas must be at least 1");
            bool stdin = file == "-";
            if (!stdin) Stores.RequireFile(file, "backup file");
            if (stdin && (incrementals is { Count: > 0 } || until is not null))
                throw SkvToolException.Usage("- (stdin) holds one backup: a chain, and --until, need its files");
            var chain = stdin ? null : ChainArguments.Chain(file, incrementals, until);
            // the passphrase is checked against the file's header before the store is opened or created
            var encryption = BackupSecrets.Read(passphraseFile);
            if (!stdin) ChainArguments.CheckSecret(chain ?? [file], encryption);
            if (selection.MissingOnly && mode == RestoreModeArg.Replace)
                throw SkvToolException.Usage("--missing-only adds what the store lacks and cannot be combined with --mode replace");
            if (selection.Prefixes.Any(p => p.Length == 0)) throw SkvToolException.Usage("--prefix must not be empty");
            using var cancel = new CancellationTokenSource();
            // Ctrl-C (or a TERM) stops between records: nothing is committed, a store being created is not created
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cancel.Cancel(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cancel.Cancel(); });
            var options = new RestoreOptions
            {
                Mode = mode == RestoreModeArg.Replace ? RestoreMode.Replace : RestoreMode.Merge,
                DryRun = dryRun,
                Keys = [.. selection.Keys.Select(k => KeyInput.ParseKey(k, base64: false))],
                Prefixes = [.. selection.Prefixes.Select(Encoding.UTF8.GetBytes)],
                MissingOnly = selection.MissingOnly,
                CancellationToken = cancel.Token,
                Encryption = encryption,
                Until = until,
            };
            string label = dryRun ? "restore (dry run)" : "restore";
            int Run(Func<RestoreResult> restore)
            {
                try
                {
                    return Report(stdout, o, db, stdin ? "stdin" : chain is null ? file : string.Join(" ", chain), dryRun, ProgressDisplay.Run(stderr, o.Progress, label, sink =>
                    {
                        options.Progress = BackupProgress.From(sink);
                        return restore();
                    }));
                }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested)
                {
                    throw new SkvToolException(ExitCode.Cancelled, $"restore cancelled: nothing was written to {db}");
                }
            }
            Stream Input() => Console.OpenStandardInput();
            int Restore(ISkvStorage storage) => Run(() => stdin
                ? SkvBackup.Restore(storage, Input(), "stdin", options)
                : chain is not null ? SkvBackup.Restore(storage, chain, options)
                : SkvBackup.Restore(storage, file, options));

            // Redis / Redis Cluster / Garnet: the file is checked whole first, then written pipelined (not atomic
            // across the keyspace); a failure midway is exit 2 and a repeat of the same restore completes it
            if (Stores.IsRedis(db))
            {
                using var storage = Stores.ConnectRedis(connection, o.Warnings, redis, waitReplicas is { } n ? new TypedSkv.Redis.RedisSkvOptions { WaitReplicas = n, WaitReplicasTimeout = TimeSpan.FromSeconds(4) } : null);
                try
                {
                    return Restore(storage);
                }
                catch (SkvException ex) when (ex is SkvUnavailableException or SkvReplicationException && !ex.Message.Contains("run the same restore again", StringComparison.Ordinal))
                {
                    throw new SkvToolException(ExitCode.UsageOrIoError, $"{ex.Message}; the restore stopped part way (records written so far stay): run the same restore again to complete it", ex);
                }
                catch (StackExchange.Redis.RedisException ex)
                {
                    // the server went away part way (it is not atomic there): say how to finish the job
                    var (_, message) = ErrorMapping.Map(ex);
                    throw new SkvToolException(ExitCode.UsageOrIoError, $"{message}; the restore stopped part way (records written so far stay): run the same restore again to complete it", ex);
                }
            }
            if (Directory.Exists(db)) throw SkvToolException.Usage($"{db} is a directory, not a store file");
            if (dryRun && File.Exists(db))
            {
                // a dry run writes nothing, so it needs no write lock: it works beside a running writer
                Stores.RequireStoreFile(db);
                using var readOnly = Stores.OpenReadOnly(db, o.Warnings);
                return Restore(readOnly);
            }
            if (!File.Exists(db))
            {
                // like backup, a restore into a new store creates its folder
                if (!dryRun && Path.GetDirectoryName(Path.GetFullPath(db)) is { } folder) Directory.CreateDirectory(folder);
                AfterStoreLookup.Value?.Invoke();
                try
                {
                    // built under a temporary name and moved into place only when complete and only if the name is
                    // still free: a store another process creates meanwhile is never touched. A dry run compares
                    // with nothing and creates nothing.
                    return Run(() => stdin
                        ? SkvBackup.RestoreToNewStore(db, Input(), "stdin", options)
                        : chain is not null ? SkvBackup.RestoreToNewStore(db, chain, options)
                        : SkvBackup.RestoreToNewStore(db, file, options));
                }
                catch (SkvStoreExistsException ex) when (stdin)
                {
                    throw SkvToolException.Usage($"{ex.Message}; stdin was read already: run the restore again to restore into that store", ex);
                }
                catch (SkvStoreExistsException)
                {
                    // another process created the store first: restore into it like into any existing store
                }
            }
            // an existing store: its header is checked before the lock is taken, so swapped arguments
            // (restore backup.json app.skv) leave no backup.json.lock behind
            using var existing = Stores.OpenWriter(db, createIfMissing: false, o.Warnings, Stores.Wait(wait));
            return Restore(existing);
        });

    private static int Report(TextWriter stdout, OutputSettings o, string db, string file, bool dryRun, RestoreResult result)
    {
        string modeName = result.Mode == RestoreMode.Replace ? "replace" : "merge";
        if (o.Json)
        {
            JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new RestoreDocument(db, result.Path, result.Records, result.Added, result.Overwritten, result.Unchanged, result.Removed, result.Skipped,
                result.Counted, result.Bytes, modeName, result.DryRun, result.Format, (long)result.Duration.TotalMilliseconds));
        }
        else
        {
            string skipped = result.Skipped > 0 ? $"; {result.Skipped} records of the backup skipped (not selected, or already in the store with --missing-only)" : "";
            string counts = !result.Counted
                ? $"{result.Added} records written (a restore into Redis does not compare with what was there){skipped}"
                : dryRun
                ? $"would add {result.Added}, overwrite {result.Overwritten}, leave {result.Unchanged} unchanged and remove {result.Removed} keys{skipped}"
                : $"{result.Added} added, {result.Overwritten} overwritten, {result.Unchanged} unchanged, {result.Removed} removed{skipped}";
            if (dryRun)
                stdout.WriteLine($"dry run: {file} is valid ({result.Format}, {result.Records} records); restoring it into {db} ({modeName}) {counts}; nothing was written");
            else
                stdout.WriteLine($"restored {file} into {db} ({modeName}, {result.Records} records, {Sizes.Format(result.Bytes)}) in {Sizes.Seconds(result.Duration)}: {counts}");
        }
        return (int)ExitCode.Ok;
    }
}
