namespace TypedSkv.Backup.Incremental;

/// <summary>
/// An incremental backup: the store's snapshot and the base chain's final state, both in key order, merged side by
/// side; a key only in the store or with another value becomes a put, a key only in the chain a delete. Constant
/// memory (one reader per chain file) and no change tracking in the engine, so it works over any storage that scans
/// in key order (Redis too). The chain is checked first: its files must be whole and linked, or nothing is written.
/// </summary>
internal static class IncrementalCreator
{
    /// <summary>
    /// Checks the base chain (pass 1: every file read whole, which also gives the checksum to link to) and returns
    /// the writer of the incremental document (pass 2: the merge), to run on the output.
    /// </summary>
    public static Func<Stream, (long Records, string Checksum)> Prepare(ISkvStorage storage, string? fullPath, BackupOptions options)
    {
        if (options.Prefix is not null || options.PrefixBytes is not null)
            throw new ArgumentException("an incremental backup covers the whole store: a prefix is not supported with it", nameof(options));
        var chainPaths = BackupChain.Resolve(options.IncrementalBase!, options.Encryption);
        if (fullPath is not null && chainPaths.Any(p => string.Equals(p, fullPath, StringComparison.Ordinal)))
            throw new ArgumentException($"the incremental backup {fullPath} would replace a file of its own base chain", nameof(fullPath));

        BackupLink link;
        using (var check = BackupChain.Open(chainPaths, options.Encryption, Storage.RecordFormat.MaxValueLength))
        {
            while (check.Next()) { }
            check.Finish();
            link = check.LinkToLast();
        }

        // never earlier than its base, so that a chain's times only grow (--until relies on them)
        var now = options.CreatedAt ?? DateTimeOffset.UtcNow;
        var createdAt = now > link.CreatedAt ? now : link.CreatedAt.AddTicks(1);
        return json =>
        {
            using var snapshot = storage.OpenBackupSource();
            using var chain = BackupChain.Open(chainPaths, options.Encryption, Storage.RecordFormat.MaxValueLength);
            using var writer = BackupWriter.Incremental(json, createdAt, link, options.Indented, options.Progress);
            WriteChanges(chain, snapshot.ScanPrefix([]), writer);
            chain.Finish();
            return (writer.Records, writer.Complete());
        };
    }

    private static void WriteChanges(BackupChain chain, IEnumerable<SkvEntry> store, BackupWriter writer)
    {
        using var entries = store.GetEnumerator();
        bool hasEntry = entries.MoveNext();
        while (NextPresent(chain))
        {
            var key = chain.Key;
            while (hasEntry && entries.Current.Key.Span.SequenceCompareTo(key) < 0)
            {
                writer.Write(entries.Current.Key.Span, entries.Current.GetValue()); // new key
                hasEntry = entries.MoveNext();
            }
            if (hasEntry && entries.Current.Key.Span.SequenceEqual(key))
            {
                byte[] value = entries.Current.GetValue();
                if (!value.AsSpan().SequenceEqual(chain.Value)) writer.Write(key, value); // changed
                hasEntry = entries.MoveNext();
            }
            else writer.WriteDelete(key); // gone from the store
        }
        for (; hasEntry; hasEntry = entries.MoveNext())
            writer.Write(entries.Current.Key.Span, entries.Current.GetValue());
    }

    /// <summary>The chain's next key that the chain holds (deleted keys are not part of its state).</summary>
    private static bool NextPresent(BackupChain chain)
    {
        while (chain.Next())
            if (!chain.IsDelete) return true;
        return false;
    }
}
