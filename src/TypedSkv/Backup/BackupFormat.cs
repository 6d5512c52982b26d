using System.Buffers.Binary;
using System.IO.Hashing;

namespace TypedSkv.Backup;

/// <summary>Names and constants of the backup JSON format (docs/backup-format.md).</summary>
internal static class BackupFormat
{
    /// <summary>The key prefix an option names: its bytes, else its text as UTF-8, else none.</summary>
    internal static byte[] PrefixOf(string? text, byte[]? bytes) => bytes ?? (text is null ? [] : SkvStore.Utf8(text));

    /// <summary>Version written. Readers accept any "1.x".</summary>
    public const string Version = "1.0";
    public const int SupportedMajor = 1;

    /// <summary>Version of incremental backups (docs/backup-format.md, "Incremental backups"): a major of their own, so 1.x readers refuse them.</summary>
    public const string IncrementalVersion = "2.0";
    public const int IncrementalMajor = 2;
    public const string IncrementalKind = "incremental";

    /// <summary><see cref="RestoreResult.Format"/> of a bare array written by the Go skv code.</summary>
    public const string LegacyArrayFormat = "legacy-array";

    // document fields
    public static ReadOnlySpan<byte> VersionField => "version"u8;
    public static ReadOnlySpan<byte> CreatedAtField => "created_at"u8;
    public static ReadOnlySpan<byte> TotalRecordsField => "total_records"u8;
    public static ReadOnlySpan<byte> RecordsField => "records"u8;
    public static ReadOnlySpan<byte> ChecksumField => "checksum"u8;          // extension: trailing, after "records"
    public static ReadOnlySpan<byte> PrefixField => "prefix"u8;              // extension: the key prefix of a partial backup
    public static ReadOnlySpan<byte> PrefixEncodingField => "prefix_encoding"u8; // extension: "base64" for a non-UTF-8 prefix
    public static ReadOnlySpan<byte> AlgorithmField => "algorithm"u8;        // inside "checksum"
    public static ReadOnlySpan<byte> ChecksumValueField => "value"u8;        // inside "checksum"

    // incremental documents (version 2)
    public static ReadOnlySpan<byte> KindField => "kind"u8;
    public static ReadOnlySpan<byte> BaseField => "base"u8;                  // {"file","created_at","checksum"}
    public static ReadOnlySpan<byte> BaseFileField => "file"u8;
    public static ReadOnlySpan<byte> ChangesField => "changes"u8;
    public static ReadOnlySpan<byte> TotalChangesField => "total_changes"u8; // trailing, after "changes"
    public static ReadOnlySpan<byte> OpField => "op"u8;                      // in a change: "put" or "delete"
    public static ReadOnlySpan<byte> Put => "put"u8;
    public static ReadOnlySpan<byte> DeleteOp => "delete"u8;

    /// <summary>What an incremental file holds in "records", so that a reader that ignores "version" fails on the type instead of restoring nothing.</summary>
    public const string IncrementalRecordsNote = "this is an incremental backup (version 2.0): its changes are in \"changes\"; restore it after its base with TypedSkv";

    // record fields
    public static ReadOnlySpan<byte> KeyField => "key"u8;
    public static ReadOnlySpan<byte> ValueField => "value"u8;
    public static ReadOnlySpan<byte> EncodingField => "encoding"u8;
    public static ReadOnlySpan<byte> KeyEncodingField => "key_encoding"u8;   // extension: only for non-UTF-8 keys

    // legacy (Go) array record fields
    public static ReadOnlySpan<byte> LegacyValueB64Field => "value_b64"u8;
    public static ReadOnlySpan<byte> LegacyIsBinaryField => "is_binary"u8;

    // encodings
    public static ReadOnlySpan<byte> Text => "text"u8;
    public static ReadOnlySpan<byte> Base64 => "base64"u8;

    public const string ChecksumAlgorithm = "xxh3-64";

    /// <summary>gzip streams start with these two bytes.</summary>
    public const byte GzipMagic0 = 0x1F, GzipMagic1 = 0x8B;

    /// <summary>zstd frames start with these four bytes (RFC 8878).</summary>
    public static ReadOnlySpan<byte> ZstdMagic => [0x28, 0xB5, 0x2F, 0xFD];

    /// <summary>zstd level written: the library's default, fast and still smaller than gzip's fastest.</summary>
    public const int ZstdLevel = 3;

    /// <summary>Flush the JSON writer to the stream once this many bytes are pending.</summary>
    public const int WriterFlushThreshold = 1 << 16;

    /// <summary>Values longer than this are written in segments of this size (a multiple of 3: whole base64 groups).</summary>
    public const int ValueSegmentSize = 3 << 18; // 768 KiB

    /// <summary>Initial read buffer of the parser; grows only for a single larger token.</summary>
    public const int ReaderBufferSize = 1 << 16;

    /// <summary>A string value this large or larger is read in pieces, never buffered whole (see JsonTokenSource.ReadValue).</summary>
    public const int StreamedStringThreshold = 1 << 20;

    /// <summary>Largest token buffered whole (names, numbers, strings not in a value's place).</summary>
    public const int MaxBufferedToken = 16 << 20;

    /// <summary>Report progress every this many records.</summary>
    public const int ProgressInterval = 8192;

    public static bool IsGzipPath(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);

    public static bool IsZstdPath(string path) => path.EndsWith(".zst", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The records checksum: XXH3-64 (seed 0) over, for each record in file order, the key length (uint32 LE), the
/// key bytes, the value length (uint32 LE) and the value bytes (decoded bytes, not their JSON text). Written as 16
/// lowercase hex digits.
/// </summary>
internal sealed class RecordsChecksum
{
    private readonly XxHash3 _hash = new(0);

    /// <summary>A deletion (incremental files): the key, then 0xFFFFFFFF where a value's length would be, and no value bytes.</summary>
    public void AddDelete(ReadOnlySpan<byte> key)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)key.Length);
        _hash.Append(len);
        _hash.Append(key);
        BinaryPrimitives.WriteUInt32LittleEndian(len, uint.MaxValue);
        _hash.Append(len);
    }

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)key.Length);
        _hash.Append(len);
        _hash.Append(key);
        BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)value.Length);
        _hash.Append(len);
        _hash.Append(value);
    }

    public string Hex => _hash.GetCurrentHashAsUInt64().ToString("x16");
}
