using System.Text.Json.Serialization;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// The one JSON document a command prints with --json: command, ok and exitCode first, the command's own members,
/// then the run's warnings. Serialized through <see cref="ToolJsonContext"/> (source-generated, no reflection).
/// </summary>
public abstract record ToolDocument
{
    [JsonPropertyOrder(-3)] public string Command { get; init; } = "";
    [JsonPropertyOrder(-2)] public bool Ok { get; init; }
    [JsonPropertyOrder(-1)] public int ExitCode { get; init; }
    [JsonPropertyOrder(1000)] public IReadOnlyList<Warning> Warnings { get; init; } = [];
}

/// <summary>Bytes as JSON text: the UTF-8 text when valid, else base64, and which of the two.</summary>
public readonly record struct JsonBytes(string Value, string Encoding)
{
    public static JsonBytes Of(ReadOnlySpan<byte> bytes)
    {
        var (value, encoding) = BinaryText.Encode(bytes);
        return new JsonBytes(value, encoding);
    }
}

public sealed record ErrorDocument(string Error) : ToolDocument;

public sealed record InfoDocument(string Path, long Records, long DeadRecords, long FileSizeBytes, long LiveBytes, int FormatVersion, string Created) : ToolDocument;

public sealed record GetDocument(string Key, string KeyEncoding, long ValueLength,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValueEncoding,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Out) : ToolDocument;

public sealed record PutDocument(string Key, string KeyEncoding, long ValueLength, bool Replaced) : ToolDocument;

public sealed record DeleteDocument(string Key, string KeyEncoding, bool Deleted) : ToolDocument;

public sealed record ListEntry(string Key, string KeyEncoding, long ValueLength,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Value,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ValueEncoding);

public sealed record ListDocument(string Path, string? Prefix, long Count, bool Truncated, IReadOnlyList<ListEntry> Entries) : ToolDocument;

public sealed record CompactDocument(string Path, long LiveRecords, long BytesBefore, long BytesAfter, long BytesReclaimed, long DurationMs) : ToolDocument;

public sealed record BackupDocument(string Path, string File, long Records, long Bytes, string? Checksum, long DurationMs, IReadOnlyList<string> Pruned) : ToolDocument
{
    public bool Encrypted { get; init; }
    public string? IncrementalBase { get; init; }
}

public sealed record RestoreDocument(string Path, string File, long Records, long Added, long Overwritten, long Unchanged, long Removed, long Skipped,
    bool Counted, long Bytes, string Mode, bool DryRun, string Format, long DurationMs) : ToolDocument;

public sealed record VerifyProblemEntry(long? RecordIndex, string? Key, string Message);

public sealed record ComparisonEntry(long Matching, long MissingInStore, long ExtraInStore, long DifferentValues);

public sealed record VerifyDocument(string File, string? Db, string? Version, string? Prefix, string Format, long Records, long? DeclaredRecords,
    long TextRecords, long Base64Records, long Bytes, long DuplicateKeys, bool HasChecksum, bool? ChecksumValid, long ProblemCount,
    IReadOnlyList<VerifyProblemEntry> Problems, ComparisonEntry? Comparison) : ToolDocument
{
    /// <summary>The file's created_at (for a chain: its last file's), RFC 3339 UTC.</summary>
    public string? CreatedAt { get; init; }
    public bool Encrypted { get; init; }
    /// <summary>"none", "gzip" or "zstd".</summary>
    public string Compression { get; init; } = "none";
}

public sealed record TornTailEntry(long Offset, long Bytes);

public sealed record CheckProblemEntry(long? Offset, string? Key, string Message);

public sealed record CheckDocument(string Path, long FileSizeBytes, long Records, long ValuesChecked, long ValueBytes, TornTailEntry? TornTail,
    long? InProgressBytes, IReadOnlyList<CheckProblemEntry> Problems) : ToolDocument;

public sealed record DamagedRangeEntry(long Offset, long Bytes, bool AtEnd);

public sealed record RecoverDocument(string Path, string NewPath, long RecordsVerified, long Keys, long LostBytes, long DiscardedBatchRecords,
    IReadOnlyList<DamagedRangeEntry> DamagedRanges, long DurationMs) : ToolDocument;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(ErrorDocument))]
[JsonSerializable(typeof(InfoDocument))]
[JsonSerializable(typeof(GetDocument))]
[JsonSerializable(typeof(PutDocument))]
[JsonSerializable(typeof(DeleteDocument))]
[JsonSerializable(typeof(ListDocument))]
[JsonSerializable(typeof(CompactDocument))]
[JsonSerializable(typeof(BackupDocument))]
[JsonSerializable(typeof(RestoreDocument))]
[JsonSerializable(typeof(VerifyDocument))]
[JsonSerializable(typeof(CheckDocument))]
[JsonSerializable(typeof(RecoverDocument))]
internal sealed partial class ToolJsonContext : JsonSerializerContext;
