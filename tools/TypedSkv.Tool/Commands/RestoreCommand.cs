using System.CommandLine;
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
        "dotnet skv restore new.skv backups/app.json.gz --mode replace --dry-run",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument(redis: true);
        var file = new Argument<string>("file") { Description = "The backup file to read (.json, or .json.gz for gzip)." };
        var mode = new Option<RestoreModeArg>("--mode")
        {
            Description = "merge: keep other keys, the backup's keys overwrite; replace: the store holds exactly the backup afterwards.",
            DefaultValueFactory = _ => RestoreModeArg.Merge,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Read and validate the whole backup, write nothing." };
        var noProgress = CommonOptions.CreateNoProgress();
        var command = new Command(Name, "Restore a backup into a store (created when missing), all or nothing: a malformed backup leaves the store unchanged. Needs the write lock.")
        {
            db, file, mode, dryRun, noProgress,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(file), pr.GetValue(mode),
            pr.GetValue(dryRun), common.Read(pr, noProgress)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string file, RestoreModeArg mode = RestoreModeArg.Merge,
        bool dryRun = false, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            Stores.RequireFile(file, "backup file");
            var options = new RestoreOptions
            {
                Mode = mode == RestoreModeArg.Replace ? RestoreMode.Replace : RestoreMode.Merge,
                DryRun = dryRun,
            };
            int Report(RestoreResult result) => RestoreCommand.Report(stdout, o, db, file, mode, dryRun, result);
            int Restore(ISkvStorage storage) => Report(ProgressDisplay.Run(stderr, o.Progress, dryRun ? "restore (dry run)" : "restore", sink =>
            {
                options.Progress = BackupProgress.From(sink);
                return SkvBackup.Restore(storage, file, options);
            }));

            // Redis / Redis Cluster / Garnet: the file is checked whole first, then written pipelined (not atomic
            // across the keyspace); a failure midway is exit 2 and a repeat of the same restore completes it
            if (Stores.IsRedis(db))
            {
                using var storage = Stores.ConnectRedis(db);
                return Restore(storage);
            }
            if (Directory.Exists(db)) throw SkvToolException.Usage($"{db} is a directory, not a store file");
            if (dryRun && File.Exists(db))
            {
                // a dry run writes nothing, so it needs no write lock: it works beside a running writer
                using var readOnly = Stores.OpenReadOnly(db, o.Warnings);
                return Restore(readOnly);
            }
            if (dryRun)
            {
                // a dry run must not create the store: validate against an empty scratch store instead
                string scratch = Path.Combine(Path.GetTempPath(), $"skv-dry-run-{Guid.NewGuid():N}.skv");
                try
                {
                    using var store = Stores.OpenWriter(scratch, createIfMissing: true, o.Warnings);
                    return Restore(store);
                }
                finally
                {
                    DeleteScratchStore(scratch);
                }
            }
            if (!File.Exists(db))
            {
                AfterStoreLookup.Value?.Invoke();
                try
                {
                    // built under a temporary name and moved into place only when complete and only if the name is
                    // still free: a store another process creates meanwhile is never touched
                    return Report(ProgressDisplay.Run(stderr, o.Progress, "restore", sink =>
                    {
                        options.Progress = BackupProgress.From(sink);
                        return SkvBackup.RestoreToNewStore(db, file, options);
                    }));
                }
                catch (SkvStoreExistsException)
                {
                    // another process created the store first: restore into it like into any existing store
                }
            }
            // an existing store: its header is checked before the lock is taken, so swapped arguments
            // (restore backup.json app.skv) leave no backup.json.lock behind
            Stores.RequireStoreFile(db);
            using var existing = Stores.OpenWriter(db, createIfMissing: false, o.Warnings);
            return Restore(existing);
        });

    private static int Report(TextWriter stdout, OutputSettings o, string db, string file, RestoreModeArg mode, bool dryRun, RestoreResult result)
    {
        string modeName = mode == RestoreModeArg.Replace ? "replace" : "merge";
        if (o.Json)
        {
            JsonOutput.Write(stdout, o, Name, ExitCode.Ok, w =>
            {
                w.WriteString("path", db);
                w.WriteString("file", result.Path);
                w.WriteNumber("records", result.Records);
                w.WriteNumber("bytes", result.Bytes);
                w.WriteString("mode", modeName);
                w.WriteBoolean("dryRun", result.DryRun);
                w.WriteString("format", result.Format);
                w.WriteNumber("durationMs", (long)result.Duration.TotalMilliseconds);
            });
        }
        else if (dryRun)
        {
            stdout.WriteLine($"dry run: {file} is valid ({result.Format}); restoring it would write {result.Records} records into {db} ({modeName}); nothing was written");
        }
        else
        {
            stdout.WriteLine($"restored {result.Records} records from {file} into {db} ({modeName}, {Sizes.Format(result.Bytes)}) in {Sizes.Seconds(result.Duration)}");
        }
        return (int)ExitCode.Ok;
    }

    private static void DeleteScratchStore(string path)
    {
        try
        {
            File.Delete(path);
            File.Delete(path + SkvStore.LockFileSuffix);
        }
        catch (IOException)
        {
            // best effort: the command's own error is what matters
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
