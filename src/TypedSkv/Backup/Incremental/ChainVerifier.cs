namespace TypedSkv.Backup.Incremental;

/// <summary>
/// Verifies a chain: every file's structure and checksum, every link, and (with a store) the chain's final state
/// against the store, key by key, as a merge of two key-ordered streams (constant memory).
/// </summary>
internal static class ChainVerifier
{
    public static VerifyReport Verify(IReadOnlyList<string> paths, ISkvStorage? storage, VerifyOptions options, DateTimeOffset? until)
    {
        var problems = new List<VerifyProblem>();
        long problemCount = 0;
        void Add(string? key, string message)
        {
            problemCount++;
            if (problems.Count < options.MaxProblems) problems.Add(new VerifyProblem(null, key, message));
        }

        long records = 0, missing = 0, extra = 0, different = 0, matching = 0;
        long bytes = 0;
        DateTimeOffset? createdAt = null;
        bool fatal = false;
        using var snapshot = storage?.OpenWholeStoreView();
        try
        {
            using var chain = BackupChain.Open(paths, options.Encryption, options.MaxValueBytes, until);
            bytes = chain.Bytes;
            using var entries = snapshot?.ScanPrefix(options.GetPrefix()).GetEnumerator();
            bool hasEntry = entries?.MoveNext() == true;
            while (chain.Next())
            {
                records++;
                if (entries is null) continue;
                var key = chain.Key;
                while (hasEntry && entries.Current.Key.Span.SequenceCompareTo(key) < 0)
                {
                    extra++;
                    Add(KeyFormatter.Describe(entries.Current.Key.Span), "in the store but not in the chain");
                    hasEntry = entries.MoveNext();
                }
                bool inStore = hasEntry && entries.Current.Key.Span.SequenceEqual(key);
                if (chain.IsDelete)
                {
                    if (inStore) { extra++; Add(KeyFormatter.Describe(key), "deleted by the chain but in the store"); }
                }
                else if (!inStore) { missing++; Add(KeyFormatter.Describe(key), "missing in the store"); }
                else if (entries!.Current.GetValue().AsSpan().SequenceEqual(chain.Value)) matching++;
                else { different++; Add(KeyFormatter.Describe(key), "value differs from the store"); }
                if (inStore) hasEntry = entries!.MoveNext();
                if (options.Progress is not null && records % BackupFormat.ProgressInterval == 0)
                    options.Progress.Report(new SkvBackupProgress(records, 0, null));
            }
            for (; hasEntry; hasEntry = entries!.MoveNext())
            {
                extra++;
                Add(KeyFormatter.Describe(entries!.Current.Key.Span), "in the store but not in the chain");
            }
            chain.Finish();
            createdAt = chain.CreatedAt;
        }
        catch (SkvBackupException ex)
        {
            fatal = true;
            Add(null, Path.GetFileName(ex.FilePath) + ": " + ex.Problem + (ex.RecordIndex is { } r ? $" (record index {r})" : ""));
        }

        return new VerifyReport
        {
            Ok = problemCount == 0,
            Path = Path.GetFullPath(paths[^1]),
            Version = BackupFormat.IncrementalVersion,
            Format = $"chain of {paths.Count} files",
            CreatedAt = createdAt,
            Records = records,
            Bytes = bytes,
            HasChecksum = true,
            ChecksumValid = fatal ? null : true,
            Problems = problems,
            ProblemCount = problemCount,
            Comparison = snapshot is null || fatal ? null : new StoreComparison(missing, extra, different, matching),
        };
    }
}
