namespace TypedSkv;

/// <summary>Base class of every error the store raises on purpose.</summary>
public class SkvException : Exception
{
    public SkvException(string message) : base(message) { }
    public SkvException(string message, Exception? inner) : base(message, inner) { }

    /// <summary>
    /// Whether the same operation can succeed when run again unchanged (a transaction conflict, a lock or server
    /// timeout, a server failing over), as opposed to an error that repeats until something is fixed (bad data, a
    /// missing key, a unique index violation).
    /// </summary>
    public virtual bool IsRetryable => false;
}

/// <summary>The data file holds bytes that fail their checksum or make no sense, with valid data after them.</summary>
public sealed class SkvCorruptionException : SkvException
{
    public SkvCorruptionException(string path, long offset, string problem)
        : base($"{path}: corrupt data at offset {offset}: {problem}")
    {
        FilePath = path;
        Offset = offset;
        Problem = problem;
    }

    public string FilePath { get; }
    public long Offset { get; }
    public string Problem { get; }
}

/// <summary>The file is not a TypedSkv data file, or has a format version this build cannot read.</summary>
public sealed class SkvFormatException : SkvException
{
    public SkvFormatException(string path, string problem) : base($"{path}: {problem}") => FilePath = path;
    public string FilePath { get; }
}

/// <summary>Another writer (in this or another process) holds the store open.</summary>
public sealed class SkvLockedException : SkvException
{
    public SkvLockedException(string path, int? holderProcessId = null, Exception? inner = null)
        : base($"{path} is open for writing by {(holderProcessId is { } pid ? $"process {pid}" : "another process or store instance")}; " +
               "only one writer at a time: read-only commands (and SkvStore.OpenReadOnly) work beside it, or wait until it closes", inner)
    {
        FilePath = path;
        HolderProcessId = holderProcessId;
    }

    public string FilePath { get; }

    /// <summary>The writer's process id as it wrote it into the lock side file, when known.</summary>
    public int? HolderProcessId { get; }
}

/// <summary>A key that must exist does not.</summary>
public sealed class SkvKeyNotFoundException : SkvException
{
    public SkvKeyNotFoundException(ReadOnlySpan<byte> key) : base($"key not found: {KeyFormatter.Describe(key)}") { }
}

/// <summary>A key that must not exist does.</summary>
public sealed class SkvKeyExistsException : SkvException
{
    public SkvKeyExistsException(ReadOnlySpan<byte> key) : base($"key already exists: {KeyFormatter.Describe(key)}") { }
}

/// <summary>A write waited longer than <see cref="SkvOptions.WriteLockTimeout"/> for the store's write lock.</summary>
public sealed class SkvWriteLockTimeoutException : SkvException
{
    public SkvWriteLockTimeoutException(string path, TimeSpan timeout)
        : base($"{path}: timed out after {timeout.TotalSeconds:0.###} s waiting for the store's write lock, which another write or an open transaction holds " +
               "(a transaction holds it until Commit or Dispose: write through the transaction, not the store, while it is open)")
    {
        FilePath = path;
        Timeout = timeout;
    }

    public string FilePath { get; }
    public TimeSpan Timeout { get; }

    public override bool IsRetryable => true;
}

/// <summary>
/// A server backend could not be reached or did not answer within its timeout (connection lost, a primary failing
/// over, the cluster not serving the key's slot). The operation may or may not have been applied: an idempotent write
/// (a Put, a Delete) can be sent again; <see cref="SkvException.IsRetryable"/> is true.
/// </summary>
public sealed class SkvUnavailableException : SkvException
{
    public SkvUnavailableException(string message, Exception? inner) : base(message, inner) { }

    public override bool IsRetryable => true;
}

/// <summary>
/// A write was applied on the primary, but fewer replicas than asked for (for Redis:
/// <c>RedisSkvOptions.WaitReplicas</c>) confirmed it within the timeout, so it may be lost if that primary fails
/// before it replicates. The write is not undone: readers can see it. Writing the same value again is safe;
/// <see cref="SkvException.IsRetryable"/> is true.
/// </summary>
public sealed class SkvReplicationException : SkvException
{
    public SkvReplicationException(string message, int requiredReplicas, int confirmedReplicas) : base(message)
    {
        RequiredReplicas = requiredReplicas;
        ConfirmedReplicas = confirmedReplicas;
    }

    /// <summary>How many replicas had to confirm the write.</summary>
    public int RequiredReplicas { get; }

    /// <summary>How many did within the timeout (the smallest count over the primaries the write went to).</summary>
    public int ConfirmedReplicas { get; }

    public override bool IsRetryable => true;
}
