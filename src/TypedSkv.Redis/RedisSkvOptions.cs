namespace TypedSkv.Redis;

/// <summary>How <see cref="RedisSkvStorage"/> writes and backs up (docs/redis.md, "Failover" and "Backups of a live server").</summary>
public sealed class RedisSkvOptions
{
    /// <summary>
    /// After every write, transaction commit and restore, wait (<c>WAIT numreplicas timeout</c> on each primary
    /// written) until this many replicas have the write; 0 (the default) does not wait. Redis replicates
    /// asynchronously, so without it a write acknowledged by a primary that dies right after can be lost in the
    /// failover; with it, a write that returns is on the primary and that many replicas. When fewer confirm within
    /// <see cref="WaitReplicasTimeout"/>, the write throws <see cref="SkvReplicationException"/>: it is applied on the
    /// primary (readers can see it) but not confirmed on the replicas.
    /// </summary>
    public int WaitReplicas { get; init; }

    /// <summary>How long a write waits for <see cref="WaitReplicas"/> replicas (default 1 s; keep it below the connection's timeout).</summary>
    public TimeSpan WaitReplicasTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many times a backup reads a collection (one hash tag) again when a writer changed it during the read,
    /// before it gives up with <see cref="SkvTransactionConflictException"/> (default 8).
    /// </summary>
    public int BackupAttempts { get; init; } = 8;

    /// <summary>
    /// The most bytes of records a backup reads in one atomic step (one <c>MULTI/EXEC</c>) once a collection has
    /// changed under it (default 16 MiB): a collection up to that size is then read whole in one step, so it is
    /// backed up even while writers never pause. The server runs nothing else during that step.
    /// </summary>
    public int BackupAtomicReadBytes { get; init; } = 16 << 20;

    internal void Validate()
    {
        if (WaitReplicas < 0) throw new ArgumentOutOfRangeException(nameof(WaitReplicas), WaitReplicas, "WaitReplicas must be 0 or more");
        if (WaitReplicas > 0 && WaitReplicasTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(WaitReplicasTimeout), WaitReplicasTimeout, "WaitReplicasTimeout must be positive (WAIT with 0 would wait forever)");
        if (BackupAttempts < 1) throw new ArgumentOutOfRangeException(nameof(BackupAttempts), BackupAttempts, "BackupAttempts must be at least 1");
        if (BackupAtomicReadBytes < 1) throw new ArgumentOutOfRangeException(nameof(BackupAtomicReadBytes), BackupAtomicReadBytes, "BackupAtomicReadBytes must be positive");
    }
}
