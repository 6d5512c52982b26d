namespace TypedSkv;

/// <summary>What a backup wrote.</summary>
/// <param name="Path">The final file.</param>
/// <param name="Records">Records written.</param>
/// <param name="Bytes">Size of the file (compressed size when gzipped).</param>
/// <param name="Checksum">The records checksum written into the file ("xxh3-64" hex, see docs/backup-format.md).</param>
/// <param name="Duration">Wall time.</param>
public sealed record BackupResult(string Path, long Records, long Bytes, string? Checksum, TimeSpan Duration);

/// <summary>What a restore read (and, unless <paramref name="DryRun"/>, committed).</summary>
/// <param name="Path">The backup file.</param>
/// <param name="Records">Records read from the file (duplicates included).</param>
/// <param name="Bytes">Size of the file.</param>
/// <param name="Mode">Merge or Replace.</param>
/// <param name="DryRun">Nothing was written.</param>
/// <param name="Format">"1.0" style version of the file, or "legacy-array".</param>
/// <param name="Duration">Wall time.</param>
public sealed record RestoreResult(string Path, long Records, long Bytes, RestoreMode Mode, bool DryRun, string Format, TimeSpan Duration)
{
    /// <summary>Keys the store did not hold (a dry run: would not hold).</summary>
    public long Added { get; init; }

    /// <summary>Keys whose value the backup changed.</summary>
    public long Overwritten { get; init; }

    /// <summary>Keys the store held with the backup's value already. Counts are per key's first record in the file.</summary>
    public long Unchanged { get; init; }

    /// <summary>Replace: store keys (in the selection) the backup does not hold, removed.</summary>
    public long Removed { get; init; }

    /// <summary>Records not restored: outside the selected keys and prefixes, or (MissingOnly) keys the store holds.</summary>
    public long Skipped { get; init; }

    /// <summary>
    /// Whether Added, Overwritten, Unchanged and Removed were counted. False for a plain restore into a server backend
    /// (Redis), where comparing would cost a round trip per record: every restored record is then in Added.
    /// </summary>
    public bool Counted { get; init; } = true;
}

/// <summary>One problem found by verify.</summary>
/// <param name="RecordIndex">0-based record index, or null for a file-level problem.</param>
/// <param name="Key">The key, shown safely (<see cref="KeyFormatter.Describe"/>), when known.</param>
/// <param name="Message">The problem.</param>
public sealed record VerifyProblem(long? RecordIndex, string? Key, string Message)
{
    public override string ToString() =>
        (RecordIndex is { } i ? $"record {i}: " : "") + (Key is null ? "" : $"key {Key}: ") + Message;
}

/// <summary>Backup compared with a live store, by distinct key (last occurrence wins, as in a restore).</summary>
/// <param name="MissingInStore">Keys of the backup the store does not hold.</param>
/// <param name="ExtraInStore">Keys of the store (under the prefix, if given) the backup does not hold.</param>
/// <param name="DifferentValues">Keys in both with different values.</param>
/// <param name="Matching">Keys in both with equal values.</param>
public sealed record StoreComparison(long MissingInStore, long ExtraInStore, long DifferentValues, long Matching)
{
    public bool Identical => MissingInStore == 0 && ExtraInStore == 0 && DifferentValues == 0;
}

/// <summary>Result of <see cref="SkvBackup.Verify(string, VerifyOptions?)"/>.</summary>
public sealed class VerifyReport
{
    /// <summary>No problem found (and, when compared with a store, the store matches).</summary>
    public bool Ok { get; init; }
    public string Path { get; init; } = "";
    /// <summary>The file's "version", or null (legacy format, or missing).</summary>
    public string? Version { get; init; }
    /// <summary>"1.0" style version or "legacy-array"; "unknown" when the file could not be recognised.</summary>
    public string Format { get; init; } = "unknown";
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>Records found (duplicates included).</summary>
    public long Records { get; init; }
    /// <summary>The file's "total_records".</summary>
    public long? DeclaredRecords { get; init; }
    public long TextRecords { get; init; }
    public long Base64Records { get; init; }
    /// <summary>Records whose key appeared before (detected by 64-bit key hash).</summary>
    public long DuplicateKeys { get; init; }
    /// <summary>Size of the file.</summary>
    public long Bytes { get; init; }
    /// <summary>The file is in the encryption envelope.</summary>
    public bool Encrypted { get; init; }
    /// <summary>"none", "gzip" or "zstd" (under the encryption, if any).</summary>
    public string Compression { get; init; } = "none";
    public bool HasChecksum { get; init; }
    /// <summary>null when there is no checksum or its algorithm is unknown.</summary>
    public bool? ChecksumValid { get; init; }
    /// <summary>Problems found (at most <see cref="VerifyOptions.MaxProblems"/> listed).</summary>
    public IReadOnlyList<VerifyProblem> Problems { get; init; } = [];
    /// <summary>Problems found in total (may exceed Problems.Count).</summary>
    public long ProblemCount { get; init; }
    public StoreComparison? Comparison { get; init; }

    /// <summary>Which pass made the report: true for the one with a set of key hashes (a file out of key order, a stream, a server backend).</summary>
    internal bool KeyedPass { get; init; }
    /// <summary>The key prefix the backup was taken with (UTF-8 text, else "base64:..."), null for a whole backup; a comparison with a store covers only it.</summary>
    public string? Prefix { get; init; }

    public override string ToString() =>
        $"{Path}: {(Ok ? "OK" : "FAILED")}, format {Format}, {Records} records ({TextRecords} text, {Base64Records} base64), " +
        $"{ProblemCount} problem(s)" + (Comparison is { } c ? $", store: {c.Matching} matching, {c.MissingInStore} missing, {c.ExtraInStore} extra, {c.DifferentValues} different" : "");
}
