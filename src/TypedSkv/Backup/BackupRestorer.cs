using System.Diagnostics;

namespace TypedSkv.Backup;

/// <summary>
/// Restore: streams the file into one store transaction and commits only after the whole file parsed and passed
/// every check; any problem rolls the transaction back, so the store is exactly as it was (also across a crash).
/// </summary>
internal static class BackupRestorer
{
    public static RestoreResult Restore(ISkvStorage storage, string path, RestoreOptions? options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new RestoreOptions();
        if (options.Mode is not (RestoreMode.Merge or RestoreMode.Replace))
            throw new ArgumentOutOfRangeException(nameof(options), $"unknown restore mode {options.Mode}");
        var clock = Stopwatch.StartNew();
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"backup file not found: {fullPath}", fullPath);

        // A server backend cannot take the restore in one transaction: check the whole file first (a pass without
        // writes), so a malformed backup changes nothing there either; then stream it in.
        if (!options.DryRun && storage is not SkvStore) Pass(storage, fullPath, options, write: false);
        var (reader, bytes) = Pass(storage, fullPath, options, write: !options.DryRun);
        return new RestoreResult(fullPath, reader.Records, bytes, options.Mode, options.DryRun, reader.Format, clock.Elapsed);
    }

    private static (BackupReader Reader, long Bytes) Pass(ISkvStorage storage, string fullPath, RestoreOptions options, bool write)
    {
        var (file, json) = BackupFiles.OpenRead(fullPath, options.Gzip);
        using var _ = file;
        using var __ = json;
        using var reader = new BackupReader(fullPath, json, maxValueBytes: options.MaxValueBytes);
        var progress = write || options.DryRun ? options.Progress : null;

        ISkvRecordSink? tx = write ? storage.BeginRestore() : null;
        try
        {
            if (options.Mode == RestoreMode.Replace) tx?.Clear();
            while (reader.Next())
            {
                if (reader.RecordProblem is { } problem)
                    throw reader.Error(reader.RecordIndex, problem, reader.RecordOffset);
                tx?.Put(reader.Key, reader.Value);
                if (progress is not null && reader.Records % BackupFormat.ProgressInterval == 0)
                    progress.Report(new SkvBackupProgress(reader.Records, reader.BytesRead, reader.DeclaredRecords));
            }
            if (reader.FileProblems.Count > 0) throw reader.Error(null, reader.FileProblems[0]);
            tx?.Commit();
        }
        finally
        {
            tx?.Dispose(); // rolls back unless committed
        }
        progress?.Report(new SkvBackupProgress(reader.Records, reader.BytesRead, reader.DeclaredRecords));
        return (reader, file.Length);
    }
}
