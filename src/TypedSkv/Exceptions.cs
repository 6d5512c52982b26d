namespace TypedSkv;

/// <summary>Base class of every error the store raises on purpose.</summary>
public class SkvException : Exception
{
    public SkvException(string message) : base(message) { }
    public SkvException(string message, Exception? inner) : base(message, inner) { }
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
    public SkvLockedException(string path, Exception? inner = null)
        : base($"{path} is open for writing by another process or store instance (lock file {path}{SkvStore.LockFileSuffix}); open it read-only with SkvStore.OpenReadOnly, or close the other writer", inner)
        => FilePath = path;

    public string FilePath { get; }
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
