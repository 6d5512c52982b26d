namespace TypedSkv;

/// <summary>One thing wrong with a data file.</summary>
/// <param name="Offset">File offset of the damage (0 for the header), or null.</param>
/// <param name="Key">The key concerned (shown safely), when known.</param>
/// <param name="Message">The problem.</param>
public sealed record SkvCheckProblem(long? Offset, string? Key, string Message);

/// <summary>What <see cref="SkvCheck.Check"/> found.</summary>
/// <param name="Path">The data file.</param>
/// <param name="FileSizeBytes">Its size when checked.</param>
/// <param name="Records">Live keys.</param>
/// <param name="ValuesChecked">Live values read and verified.</param>
/// <param name="ValueBytes">Their bytes.</param>
/// <param name="TornTail">Bytes after the last committed record that no live writer explains, or null.</param>
/// <param name="InProgressBytes">Bytes after the last committed record while a writer holds the store (its write in progress), or null.</param>
/// <param name="Problems">Everything wrong; empty when the store is intact.</param>
public sealed record SkvCheckReport(string Path, long FileSizeBytes, long Records, long ValuesChecked, long ValueBytes,
    SkvDamagedRange? TornTail, long? InProgressBytes, IReadOnlyList<SkvCheckProblem> Problems)
{
    public bool Ok => Problems.Count == 0;
}

/// <summary>
/// The integrity check: opens the store read-only (repairs nothing, works beside a writer), replays the whole log with
/// every record checksum checked (the index checkpoint ignored), reads and verifies every live value, and looks at
/// the end of the file. Bytes past the last committed record are a write in progress while a writer holds the store
/// (<see cref="SkvStore.HasActiveWriter"/>), and a torn tail when none does: asked of the lock, never by waiting.
/// </summary>
public static class SkvCheck
{
    public static SkvCheckReport Check(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"store file not found: {path}", path);
        long fileLength = new FileInfo(path).Length;
        var problems = new List<SkvCheckProblem>();
        long records = 0, valuesChecked = 0, valueBytes = 0;
        SkvDamagedRange? torn = null;
        long? inProgress = null;

        SkvStore? store = null;
        try
        {
            store = SkvStore.OpenReadOnly(path, verifyWholeLog: true);
        }
        catch (SkvCorruptionException ex)
        {
            problems.Add(new SkvCheckProblem(ex.Offset, null, ex.Problem));
        }
        catch (SkvFormatException ex)
        {
            problems.Add(new SkvCheckProblem(0, null, ex.Message));
        }
        if (store is not null)
        {
            using (store)
            {
                records = store.Count;
                long committedEnd = store.GetStats().FileSizeBytes;
                using (var snapshot = store.GetWholeStoreSnapshot())
                {
                    foreach (var entry in snapshot.Scan())
                    {
                        try
                        {
                            valueBytes += entry.GetValue().Length;
                            valuesChecked++;
                        }
                        catch (SkvCorruptionException ex)
                        {
                            problems.Add(new SkvCheckProblem(ex.Offset, KeyFormatter.Describe(entry.Key.Span), ex.Problem));
                        }
                    }
                }
                // a writer's open cuts off any torn tail first, so while one holds the store the tail is its write
                if (committedEnd < fileLength && SkvStore.HasActiveWriter(path))
                {
                    inProgress = fileLength - committedEnd;
                }
                else if (committedEnd < fileLength)
                {
                    torn = new SkvDamagedRange(committedEnd, fileLength - committedEnd, AtEnd: true);
                    var r = store.Recovery;
                    problems.Add(new SkvCheckProblem(committedEnd, null,
                        $"torn tail: the last {torn.Length} bytes are not complete, committed records ({r.Reason}" +
                        (r.DiscardedBatchRecords > 0 ? $"; {r.DiscardedBatchRecords} records of a transaction that never committed" : "") +
                        "), and no process holds the store for writing: a write interrupted by a crash; opening the store for writing cuts them off"));
                }
            }
        }
        return new SkvCheckReport(path, fileLength, records, valuesChecked, valueBytes, torn, inProgress, problems);
    }
}
