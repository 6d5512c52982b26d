namespace TypedSkv;

/// <summary>How <see cref="SkvBackup.Restore(SkvStore, string, RestoreOptions?)"/> treats keys that are in the store but not in the backup.</summary>
public enum RestoreMode
{
    /// <summary>Keys of the backup overwrite, other keys stay (the seed's behaviour).</summary>
    Merge,

    /// <summary>The store ends up holding exactly the backup's records.</summary>
    Replace,
}

/// <summary>Progress of a backup, restore or verify: records and (uncompressed JSON) bytes so far.</summary>
public sealed record SkvBackupProgress(long Records, long Bytes, long? TotalRecords);

public sealed partial class BackupOptions
{
    /// <summary>Back up only keys starting with this text (UTF-8). Ignored when <see cref="PrefixBytes"/> is set.</summary>
    public string? Prefix { get; set; }

    /// <summary>Back up only keys starting with these bytes.</summary>
    public byte[]? PrefixBytes { get; set; }

    /// <summary>Gzip the file; null = gzip when the path ends with ".gz".</summary>
    public bool? Gzip { get; set; }

    /// <summary>Indent the JSON like the seed's example (one field per line). Default true; false gives a smaller file.</summary>
    public bool Indented { get; set; } = true;

    public IProgress<SkvBackupProgress>? Progress { get; set; }

    /// <summary>
    /// Replace an existing file at the path (default true). False: a file that exists when the backup is complete is
    /// left alone and <see cref="IOException"/> is thrown (the finished backup is discarded); for unique names.
    /// </summary>
    public bool Overwrite { get; set; } = true;

    internal byte[] GetPrefix() => Backup.BackupFormat.PrefixOf(Prefix, PrefixBytes);
}

public sealed partial class RestoreOptions
{
    public RestoreMode Mode { get; set; } = RestoreMode.Merge;

    /// <summary>
    /// Largest value accepted, in bytes (default: the store's limit, 1 GiB). Memory for one record is bounded by a
    /// small multiple of it, so lower it to bound memory against untrusted files.
    /// </summary>
    public long MaxValueBytes { get; set; } = Storage.RecordFormat.MaxValueLength;

    /// <summary>Parse and validate the whole file, write nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>Read the file as gzip; null = decided by the file's first bytes (gzip magic).</summary>
    public bool? Gzip { get; set; }

    public IProgress<SkvBackupProgress>? Progress { get; set; }

    /// <summary>
    /// Partial restore: only records with one of these keys (with <see cref="Prefixes"/>: or under one of them).
    /// None of either: every record. With Replace, only selected store keys the backup lacks are removed.
    /// </summary>
    public IReadOnlyList<byte[]>? Keys { get; set; }

    /// <summary>Partial restore: only records whose key starts with one of these prefixes (see <see cref="Keys"/>).</summary>
    public IReadOnlyList<byte[]>? Prefixes { get; set; }

    /// <summary>Restore only keys the store does not hold; never changes an existing key (not with Replace).</summary>
    public bool MissingOnly { get; set; }

    /// <summary>Stops the restore between records; nothing is committed (a new store is not created).</summary>
    public CancellationToken CancellationToken { get; set; }
}

public sealed partial class VerifyOptions
{
    /// <summary>Read the file as gzip; null = decided by the file's first bytes (gzip magic).</summary>
    public bool? Gzip { get; set; }

    public IProgress<SkvBackupProgress>? Progress { get; set; }

    /// <summary>
    /// When comparing with a store: only store keys starting with this text (UTF-8) count as "extra" keys
    /// (use it for a backup taken with a prefix). Ignored when <see cref="PrefixBytes"/> is set.
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>Like <see cref="Prefix"/>, as bytes.</summary>
    public byte[]? PrefixBytes { get; set; }

    /// <summary>
    /// Largest value accepted, in bytes (default: the store's limit, 1 GiB). Memory for one record is bounded by a
    /// small multiple of it, so lower it to bound memory against untrusted files.
    /// </summary>
    public long MaxValueBytes { get; set; } = Storage.RecordFormat.MaxValueLength;

    /// <summary>At most this many problems are listed in the report (counts stay exact). Default 1000.</summary>
    public int MaxProblems { get; set; } = 1000;

    internal byte[] GetPrefix() => Backup.BackupFormat.PrefixOf(Prefix, PrefixBytes);
}