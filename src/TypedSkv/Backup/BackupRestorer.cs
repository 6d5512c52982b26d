using System.Diagnostics;
using System.IO.Hashing;

namespace TypedSkv.Backup;

/// <summary>
/// Restore: streams the file into one store transaction and commits only after the whole file parsed and passed
/// every check; any problem rolls the transaction back, so the store is exactly as it was (also across a crash).
/// Each record is compared with a view of the store taken before the restore, which gives the counts (added,
/// overwritten, unchanged, removed) and lets a dry run report them without writing.
/// </summary>
internal static class BackupRestorer
{
    public static RestoreResult Restore(ISkvStorage? storage, string path, RestoreOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options = Checked(storage, options);
        var clock = Stopwatch.StartNew();
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"backup file not found: {fullPath}", fullPath);

        // A server backend cannot take the restore in one transaction: check the whole file first (a pass without
        // writes), so a malformed backup changes nothing there either; then stream it in.
        // an encrypted file's secret is checked when it is opened, before the transaction begins
        (CountingStream, Stream) Open() => BackupFiles.OpenRead(fullPath, options.Gzip, options.Encryption);
        bool readOnce = BackupFiles.IsSpecialFile(fullPath);
        if (!options.DryRun && storage is not SkvStore && readOnce)
            throw new NotSupportedException($"a restore into a server backend reads the backup twice (check whole, then write): {fullPath} is a pipe or device; give a regular file");
        RestoreResult Run(bool keySet)
        {
            if (!options.DryRun && storage is not SkvStore) Pass(storage, fullPath, Open, options, write: false, keySet);
            return Pass(storage, fullPath, Open, options, write: !options.DryRun, keySet) with { Duration = clock.Elapsed };
        }
        try
        {
            return Run(keySet: readOnce);
        }
        catch (KeysOutOfOrder)
        {
            // a file written elsewhere, not in key order: again, remembering each key (the pass before rolled back)
            return Run(keySet: true);
        }
    }

    /// <summary>
    /// From a stream read once (stdin, a pipe): into the embedded store (one transaction) or as a dry run. A server
    /// backend needs the input twice (check whole, then write) and refuses a stream.
    /// </summary>
    public static RestoreResult Restore(ISkvStorage? storage, Stream input, string name, RestoreOptions? options)
    {
        ArgumentNullException.ThrowIfNull(input);
        options = Checked(storage, options);
        if (!options.DryRun && storage is not SkvStore)
            throw new NotSupportedException("a restore into a server backend checks the whole backup before writing, so it reads it twice: give a file, not a stream");
        var clock = Stopwatch.StartNew();
        // read once: the keys are remembered from the start (a file can be read again when its keys are out of order)
        return Pass(storage, name, () => BackupFiles.OpenRead(input, options.Gzip, leaveOpen: true, name, options.Encryption), options, write: !options.DryRun, keySet: true)
            with { Duration = clock.Elapsed };
    }

    private static RestoreOptions Checked(ISkvStorage? storage, RestoreOptions? options)
    {
        options ??= new RestoreOptions();
        if (storage is null && !options.DryRun) throw new ArgumentNullException(nameof(storage));
        if (options.Mode is not (RestoreMode.Merge or RestoreMode.Replace))
            throw new ArgumentOutOfRangeException(nameof(options), $"unknown restore mode {options.Mode}");
        if (options.MissingOnly && options.Mode == RestoreMode.Replace)
            throw new ArgumentException("MissingOnly adds keys the store lacks and cannot be combined with Replace", nameof(options));
        return options;
    }

    /// <summary>One pass over the backup: with <c>write</c> into the storage, else only checked and counted.</summary>
    /// <remarks>keySet:
    /// remember a hash of every key (which tells a key's first occurrence in the file and, for a replace, which store
    /// keys the backup lacks); false counts on the keys coming in strictly increasing order, as every backup this
    /// library writes has them (a scan in key order), so that memory does not grow with the records, and throws
    /// <see cref="KeysOutOfOrder"/> at the first key that breaks it
    /// </remarks>
    private static RestoreResult Pass(ISkvStorage? storage, string fullPath, Func<(CountingStream, Stream)> open,
        RestoreOptions options, bool write, bool keySet)
    {
        var (file, json) = open();
        using var _ = file;
        using var __ = json;
        using var reader = new BackupReader(fullPath, json, maxValueBytes: options.MaxValueBytes);
        var progress = write || options.DryRun ? options.Progress : null;
        var selection = new RestoreSelection(options);
        bool replace = options.Mode == RestoreMode.Replace;
        // Replace must know which store keys the backup holds (to count, or with a selection to delete, the rest):
        // one 64-bit key hash per record, as verify keeps; a merge keeps nothing per record
        bool compare = storage is SkvStore || options.DryRun || options.MissingOnly || (replace && !selection.All);
        // a replace limited to a selection deletes store keys the backup lacks: it looks them up in the set at the end
        HashSet<ulong>? backupKeys = replace && compare && (keySet || !selection.All) ? [] : null;
        var order = backupKeys is null && replace && compare ? new KeyOrder() : null;
        long existing = 0; // distinct backup keys the store held before (ordered pass): the rest of the store is removed
        long added = 0, overwritten = 0, unchanged = 0, skipped = 0, removed = 0;

        // the store as it was before this restore (a snapshot on the embedded store, taken before the transaction).
        // On a server backend every lookup is a round trip: it is compared only where the result depends on it
        // (dry run, missing-only, a replace limited to a selection), so a plain restore stays pipelined.
        using var before = compare ? storage?.OpenWholeStoreView() : null;
        // into the embedded store, a restore that deletes nothing writes through a write-only transaction: its index
        // is sorted on disk, so memory does not grow with the records (SkvStore.BeginRestoreTransaction)
        ISkvRecordSink? tx = !write ? null
            : storage is SkvStore embedded && !(replace && !selection.All) ? embedded.BeginRestoreTransaction()
            : storage!.BeginRestore();
        try
        {
            // a whole-store replace starts from nothing; with a selection only the selected keys are replaced
            if (replace && selection.All) tx?.Clear();
            while (reader.Next())
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                if (reader.RecordProblem is { } problem)
                    throw reader.Error(reader.RecordIndex, problem, reader.RecordOffset);
                ReadOnlySpan<byte> key = reader.Key;
                if (!selection.Includes(key))
                {
                    skipped++;
                    continue;
                }
                if (order is not null && !order.Next(key)) throw new KeysOutOfOrder();
                bool firstOccurrence = backupKeys?.Add(XxHash3.HashToUInt64(key)) ?? true;
                bool exists = before is not null && before.ContainsKey(key);
                if (exists && firstOccurrence) existing++;
                if (options.MissingOnly && exists)
                {
                    skipped++;
                    continue;
                }
                // the old value is read only when it is small: a large one would be held beside the new (item 11's
                // "a value at most once"); a large value that exists counts as overwritten
                byte[]? old = null;
                bool same = exists && reader.Value.Length < BackupFormat.StreamedStringThreshold
                    && before!.TryGet(key, out old) && old.AsSpan().SequenceEqual(reader.Value);
                if (firstOccurrence)
                {
                    if (!exists) added++;
                    else if (same) unchanged++;
                    else overwritten++;
                }
                // written also when unchanged: an earlier duplicate in this file may have changed it (the last one wins)
                tx?.Put(key, reader.Value);
                if (progress is not null && reader.Records % BackupFormat.ProgressInterval == 0)
                    progress.Report(new SkvBackupProgress(reader.Records, reader.BytesRead, reader.DeclaredRecords));
            }
            if (GzipEndCheck.IsTruncated(json)) throw reader.Error(null, GzipEndCheck.Of(json)!.Problem);
            if (reader.FileProblems.Count > 0) throw reader.Error(null, reader.FileProblems[0]);
            if (order is not null)
            {
                // every backup key was distinct (strictly increasing): the store keys it lacks are the rest
                removed = (before?.Count ?? 0) - existing; // no view: a dry run into a new store
            }
            else if (replace && before is not null)
            {
                foreach (var entry in selection.Scan(before))
                {
                    if (backupKeys!.Contains(XxHash3.HashToUInt64(entry.Key.Span))) continue;
                    removed++;
                    if (tx is null || selection.All) continue; // Clear removed it already
                    if (tx is not ISkvWriteTransaction deletes)
                        throw new NotSupportedException("this storage cannot delete inside a restore: a replace restricted to keys or prefixes needs the embedded store");
                    deletes.Delete(entry.Key.Span);
                }
            }
            options.CancellationToken.ThrowIfCancellationRequested();
            tx?.Commit();
        }
        catch (SkvBackupException ex) when (GzipEndCheck.IsTruncated(json) && !ex.Problem.StartsWith("truncated gzip", StringComparison.Ordinal))
        {
            // the JSON broke off because the gzip did: say the cause, keep the record it was in
            throw new SkvBackupException(ex.FilePath, ex.RecordIndex, ex.ByteOffset, $"{GzipEndCheck.Of(json)!.Problem}; {ex.Problem}", ex);
        }
        finally
        {
            tx?.Dispose(); // rolls back unless committed
        }
        progress?.Report(new SkvBackupProgress(reader.Records, reader.BytesRead, reader.DeclaredRecords));
        return new RestoreResult(fullPath, reader.Records, file.SourceBytes, options.Mode, options.DryRun, reader.Format, TimeSpan.Zero)
        {
            Added = added,
            Overwritten = overwritten,
            Unchanged = unchanged,
            Removed = removed,
            Skipped = skipped,
            Counted = compare || storage is null,
        };
    }
}
