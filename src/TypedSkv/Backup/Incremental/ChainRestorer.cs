using System.Diagnostics;

namespace TypedSkv.Backup.Incremental;

/// <summary>
/// Restores a chain (full backup + incrementals) as the final state it describes, all or nothing: the embedded
/// store takes it in one transaction, committed after every file and link passed its checks; a server backend gets
/// a checking pass first, as for one file. Replace: the store ends up holding exactly the chain's state. Merge: the
/// chain's keys are put, and keys the chain deleted are deleted; other keys stay. A selection (keys, prefixes,
/// missing only) and the counts work as for one file.
/// </summary>
internal static class ChainRestorer
{
    public static RestoreResult Restore(ISkvStorage? storage, IReadOnlyList<string> paths, RestoreOptions options)
    {
        if (storage is null && !options.DryRun) throw new ArgumentNullException(nameof(storage));
        if (options.Mode is not (RestoreMode.Merge or RestoreMode.Replace))
            throw new ArgumentOutOfRangeException(nameof(options), $"unknown restore mode {options.Mode}");
        if (options.MissingOnly && options.Mode == RestoreMode.Replace)
            throw new ArgumentException("MissingOnly adds keys the store lacks and cannot be combined with Replace", nameof(options));
        var selection = new RestoreSelection(options);
        if (!selection.All && options.Mode == RestoreMode.Replace)
            throw new NotSupportedException("a chain restore in replace mode takes the whole chain: restore selected keys in merge mode");
        var clock = Stopwatch.StartNew();
        if (!options.DryRun && storage is not SkvStore) Pass(storage, paths, options, selection, write: false);
        var result = Pass(storage, paths, options, selection, write: !options.DryRun);
        return result with { Duration = clock.Elapsed };
    }

    private static RestoreResult Pass(ISkvStorage? storage, IReadOnlyList<string> paths, RestoreOptions options, RestoreSelection selection, bool write)
    {
        // every header (and an encrypted file's secret) is checked here, before the transaction begins
        using var chain = BackupChain.Open(paths, options.Encryption, options.MaxValueBytes, options.Until);
        using var before = storage?.OpenWholeStoreView();
        bool replace = options.Mode == RestoreMode.Replace;
        long records = 0, added = 0, overwritten = 0, unchanged = 0, removed = 0, skipped = 0;
        ISkvRecordSink? sink = write ? storage!.BeginRestore() : null;
        try
        {
            if (replace) sink?.Clear();
            var storeKeys = replace && before is not null ? before.ScanPrefix([]).GetEnumerator() : null;
            bool hasStoreKey = storeKeys?.MoveNext() == true;
            while (chain.Next())
            {
                options.CancellationToken.ThrowIfCancellationRequested();
                records++;
                var key = chain.Key;
                // replace: store keys the chain's state lacks are removed (counted; Clear removed them already)
                while (hasStoreKey && storeKeys!.Current.Key.Span.SequenceCompareTo(key) < 0)
                {
                    removed++;
                    hasStoreKey = storeKeys.MoveNext();
                }
                if (hasStoreKey && storeKeys!.Current.Key.Span.SequenceEqual(key))
                {
                    if (chain.IsDelete) removed++;
                    hasStoreKey = storeKeys.MoveNext();
                }
                if (!selection.Includes(key)) { skipped++; continue; }
                bool exists = before is not null && before.ContainsKey(key);
                if (chain.IsDelete)
                {
                    if (replace || !exists) continue;
                    if (options.MissingOnly) { skipped++; continue; }
                    removed++;
                    // the embedded store's restore sink is its transaction; a server backend deletes directly (each
                    // key's final state is independent of the others, so the order does not matter)
                    if (sink is ISkvWriteTransaction tx) tx.Delete(key);
                    else if (sink is not null) storage!.Delete(key);
                    continue;
                }
                if (options.MissingOnly && exists) { skipped++; continue; }
                // the old value is read only when it is small (a large one would be held beside the new)
                if (!exists) added++;
                else if (chain.Value.Length < BackupFormat.StreamedStringThreshold && before!.TryGet(key, out byte[]? old)
                    && old.AsSpan().SequenceEqual(chain.Value)) unchanged++;
                else overwritten++;
                sink?.Put(key, chain.Value);
                if (options.Progress is not null && records % BackupFormat.ProgressInterval == 0)
                    options.Progress.Report(new SkvBackupProgress(records, 0, null));
            }
            for (; hasStoreKey; hasStoreKey = storeKeys!.MoveNext()) removed++;
            chain.Finish();
            options.CancellationToken.ThrowIfCancellationRequested();
            sink?.Commit();
        }
        finally
        {
            sink?.Dispose(); // rolls back unless committed
        }
        int used = chain.Paths.Count;
        string format = used == 1 ? "chain of 1 file (the full backup)" : $"chain of {used} files (1 full + {used - 1} incremental)";
        return new RestoreResult(chain.Paths[^1], records, chain.Bytes, options.Mode, options.DryRun, format, TimeSpan.Zero)
        {
            Added = added,
            Overwritten = overwritten,
            Unchanged = unchanged,
            Removed = removed,
            Skipped = skipped,
        };
    }
}
