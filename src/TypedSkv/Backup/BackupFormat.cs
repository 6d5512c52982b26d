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

    /// <summary>Flush the JSON writer to the stream once this many bytes are pending.</summary>
    public const int WriterFlushThreshold = 1 << 16;

    /// <summary>Values longer than this are written in segments of this size (a multiple of 3: whole base64 groups).</summary>
    public const int ValueSegmentSize = 3 << 18; // 768 KiB

    /// <summary>Initial read buffer of the parser; grows only for a single larger token.</summary>
    public const int ReaderBufferSize = 1 << 16;

    /// <summary>Report progress every this many records.</summary>
    public const int ProgressInterval = 8192;

    public static bool IsGzipPath(string path) => path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The records checksum: XXH3-64 (seed 0) over, for each record in file order, the key length (uint32 LE), the
/// key bytes, the value length (uint32 LE) and the value bytes (decoded bytes, not their JSON text). Written as 16
/// lowercase hex digits.
/// </summary>
internal sealed class RecordsChecksum
{
    private readonly XxHash3 _hash = new(0);

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
