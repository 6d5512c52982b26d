namespace TypedSkv;

/// <summary>
/// A backup file is malformed, unsupported or does not match its own metadata (count, checksum).
/// The message names the file, the record (0-based index) when one is concerned, and the problem.
/// </summary>
public sealed class SkvBackupException : SkvException
{
    public SkvBackupException(string filePath, long? recordIndex, long? byteOffset, string problem, Exception? inner = null)
        : base(Format(filePath, recordIndex, byteOffset, problem), inner)
    {
        FilePath = filePath;
        RecordIndex = recordIndex;
        ByteOffset = byteOffset;
        Problem = problem;
    }

    /// <summary>The backup file.</summary>
    public string FilePath { get; }

    /// <summary>0-based index of the record in the file's "records" array, or null for a file-level problem.</summary>
    public long? RecordIndex { get; }

    /// <summary>Approximate byte offset in the (decompressed) JSON text where the problem was found, when known.</summary>
    public long? ByteOffset { get; }

    /// <summary>The problem alone, without file and position.</summary>
    public string Problem { get; }

    private static string Format(string path, long? record, long? offset, string problem)
    {
        string where = record is { } r ? $"record index {r} (0-based)" : "file";
        if (offset is { } o) where += $", near byte {o}";
        return $"{path}: {where}: {problem}";
    }
}
