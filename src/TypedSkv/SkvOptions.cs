namespace TypedSkv;

/// <summary>When a write is considered done.</summary>
public enum SkvDurability
{
    /// <summary>Writes sit in the store's write buffer and the OS cache; flushed on <see cref="SkvStore.Flush"/> and Dispose. A crash may lose recent writes (never corrupts older ones).</summary>
    None = 0,

    /// <summary>Every write is handed to the OS before the call returns: survives a process crash, not a power loss.</summary>
    Flush = 1,

    /// <summary>Every write is on stable storage (fsync) before the call returns. Concurrent writers share fsyncs (group commit).</summary>
    Fsync = 2,
}

/// <summary>Options for <see cref="SkvStore.Open(string, SkvOptions?)"/>.</summary>
public sealed record SkvOptions
{
    /// <summary>Default <see cref="SkvDurability.Fsync"/>.</summary>
    public SkvDurability Durability { get; init; } = SkvDurability.Fsync;

    /// <summary>Create the file when it does not exist (default true).</summary>
    public bool CreateIfMissing { get; init; } = true;

    /// <summary>
    /// When opening finds damage followed by valid records, cut the file at the first damaged record instead of
    /// refusing to open (default false). Meant for recovery after a power loss in <see cref="SkvDurability.None"/> or
    /// <see cref="SkvDurability.Flush"/> mode, where unsynced pages can reach the disk out of order: everything from the
    /// damage on is dropped and reported in <see cref="SkvStore.Recovery"/>. Back the file up first.
    /// </summary>
    public bool DropDamagedTail { get; init; }

    /// <summary>Size of the in-process write buffer in bytes (default 256 KiB).</summary>
    public int WriteBufferSize { get; init; } = 256 * 1024;

    /// <summary>
    /// How long a write waits for the store's write lock, held by another write or by an open transaction, before it
    /// fails with <see cref="SkvWriteLockTimeoutException"/> (default 1 minute; <see cref="Timeout.InfiniteTimeSpan"/>
    /// waits for ever). A transaction holds the lock from Begin to Commit or Dispose.
    /// </summary>
    public TimeSpan WriteLockTimeout { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Index checkpoints (<c>&lt;file&gt;.idx</c>): opening reads the checkpoint and replays only the log after it, and the
    /// index pages come from the page cache instead of private memory (default true). False: every open replays the
    /// whole log into memory, and no checkpoint is written.
    /// </summary>
    public bool UseCheckpoint { get; init; } = true;

    /// <summary>A new checkpoint is written (in the background) once this many keys changed since the last one (default 100,000).</summary>
    public int CheckpointThreshold { get; init; } = 100_000;

    /// <summary>... or once the log has grown by this many bytes since it (default 32 MiB): bounds the replay after a crash.</summary>
    public long CheckpointLogBytes { get; init; } = 32L << 20;

    /// <summary>The file-system seam (tests inject faults through it); null: a fresh one per store.</summary>
    internal Storage.FileSeam? Seam { get; init; }

    /// <summary>Memory a restore transaction sorts its index entries in before it spills a run to disk (tests make it small).</summary>
    internal int RestoreSortBufferBytes { get; init; } = Storage.SortedEntrySpill.DefaultBufferBytes;
}
