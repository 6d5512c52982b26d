using System.Buffers.Binary;
using System.IO.Hashing;

namespace TypedSkv.Storage;

internal enum RecordKind : byte
{
    Put = 1,
    Delete = 2,
    /// <summary>Removes every key written before it.</summary>
    Clear = 3,
    /// <summary>Ends a batch: the batch's records take effect only when this record is intact.</summary>
    Commit = 4,
    /// <summary>
    /// Ends a batch that was rolled back: the batch's records (their count is the value) never take effect. Rolled-back
    /// bytes stay in the file as dead space, so a file range is never reused for other bytes while a reader may have
    /// seen it (format version 2).
    /// </summary>
    Abort = 5,
}

[Flags]
internal enum RecordFlags : byte
{
    None = 0,
    /// <summary>The record belongs to a batch and is applied when the batch's Commit record is read.</summary>
    InBatch = 1,
}

/// <summary>
/// Layout of the data file (docs/file-format.md). All integers little-endian.
/// File header, 32 bytes:
///   0  8  magic "TYPEDSKV"
///   8  2  format version (2; 1 = 0.1.0, read too)
///   10 2  header size (32)
///   12 4  file id (version 2: random, new for each file a compaction writes; version 1: zero)
///   16 8  creation time, Unix milliseconds
///   24 8  XxHash3 of bytes 0..24
/// Record, 16-byte header then key then value:
///   0  8  XxHash3 (seeded with the record's file offset) of bytes 8..end; a record copied to another offset fails
///   8  1  kind (RecordKind)
///   9  1  flags (RecordFlags)
///   10 2  key length (0..1024; 1..1024 for Put and Delete)
///   12 4  value length (Put: the value; Commit/Abort: 4 bytes holding the batch's record count; else 0)
///   16    key bytes, value bytes
/// </summary>
internal static class RecordFormat
{
    public static ReadOnlySpan<byte> Magic => "TYPEDSKV"u8;
    /// <summary>The version this build writes: 2 added the Abort record.</summary>
    public const ushort FormatVersion = 2;
    /// <summary>The oldest version this build reads (0.1.0's files; upgraded to 2 at their first writable open).</summary>
    public const ushort OldestReadableVersion = 1;
    public const int FileHeaderSize = 32;
    public const int HeaderSize = 16;
    public const int MaxKeyLength = 1024;
    public const int MaxValueLength = 1024 * 1024 * 1024; // 1 GiB
    /// <summary>Value length of Commit and Abort records: an int32 count of the batch records before it.</summary>
    public const int CommitValueLength = 4;

    public static long RecordSize(int keyLength, int valueLength) => HeaderSize + (long)keyLength + valueLength;

    public static ulong Hash(ReadOnlySpan<byte> bodyFromByte8, long offset) =>
        XxHash3.HashToUInt64(bodyFromByte8, offset);

    /// <summary>Writes a whole record into <paramref name="dest"/> (exactly RecordSize bytes).</summary>
    public static void Write(Span<byte> dest, long offset, RecordKind kind, RecordFlags flags,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        WriteFields(dest, kind, flags, key, value.Length);
        value.CopyTo(dest[(HeaderSize + key.Length)..]);
        int size = HeaderSize + key.Length + value.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(dest, Hash(dest[8..size], offset));
    }

    /// <summary>
    /// Writes a record's header and key into <paramref name="dest"/> (HeaderSize + key length bytes), with the checksum
    /// computed over them and <paramref name="value"/>, for a value written separately right after them.
    /// </summary>
    public static void WriteHead(Span<byte> dest, long offset, RecordKind kind, RecordFlags flags,
        ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        WriteFields(dest, kind, flags, key, value.Length);
        var hasher = new XxHash3(offset);
        hasher.Append(dest[8..(HeaderSize + key.Length)]);
        hasher.Append(value);
        BinaryPrimitives.WriteUInt64LittleEndian(dest, hasher.GetCurrentHashAsUInt64());
    }

    /// <summary>Bytes 8.. of the header, and the key after it (the checksum in bytes 0..8 is the caller's).</summary>
    private static void WriteFields(Span<byte> dest, RecordKind kind, RecordFlags flags, ReadOnlySpan<byte> key, int valueLength)
    {
        dest[8] = (byte)kind;
        dest[9] = (byte)flags;
        BinaryPrimitives.WriteUInt16LittleEndian(dest[10..], (ushort)key.Length);
        BinaryPrimitives.WriteInt32LittleEndian(dest[12..], valueLength);
        key.CopyTo(dest[HeaderSize..]);
    }

    /// <summary>Decoded fixed part of a record header.</summary>
    public readonly record struct Header(ulong Hash, RecordKind Kind, RecordFlags Flags, int KeyLength, int ValueLength)
    {
        public long Size => RecordSize(KeyLength, ValueLength);
    }

    public static Header ReadHeader(ReadOnlySpan<byte> src) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(src),
        (RecordKind)src[8],
        (RecordFlags)src[9],
        BinaryPrimitives.ReadUInt16LittleEndian(src[10..]),
        BinaryPrimitives.ReadInt32LittleEndian(src[12..]));

    /// <summary>Whether the header fields are possible at all (before the hash is checked).</summary>
    public static bool IsPlausible(in Header h) => h.Kind switch
    {
        RecordKind.Put => h.KeyLength is >= 1 and <= MaxKeyLength && h.ValueLength is >= 0 and <= MaxValueLength && (h.Flags & ~RecordFlags.InBatch) == 0,
        RecordKind.Delete => h.KeyLength is >= 1 and <= MaxKeyLength && h.ValueLength == 0 && (h.Flags & ~RecordFlags.InBatch) == 0,
        RecordKind.Clear => h.KeyLength == 0 && h.ValueLength == 0 && (h.Flags & ~RecordFlags.InBatch) == 0,
        RecordKind.Commit or RecordKind.Abort => h.KeyLength == 0 && h.ValueLength == CommitValueLength && h.Flags == RecordFlags.None,
        _ => false,
    };

    /// <summary>
    /// Writes a file header. Version 2 headers carry a random 32-bit file id in bytes 12..16 (zero in version 1): every
    /// data file (each compaction's too) gets its own, so an index checkpoint made for one file never matches another
    /// with the same creation time.
    /// </summary>
    public static void WriteFileHeader(Span<byte> dest, DateTimeOffset created, ushort version = FormatVersion)
    {
        dest[..FileHeaderSize].Clear();
        Magic.CopyTo(dest);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[8..], version);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[10..], FileHeaderSize);
        if (version >= 2)
        {
            uint id;
            do id = (uint)System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MinValue, int.MaxValue);
            while (id == 0);
            BinaryPrimitives.WriteUInt32LittleEndian(dest[12..], id);
        }
        BinaryPrimitives.WriteInt64LittleEndian(dest[16..], created.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt64LittleEndian(dest[24..], XxHash3.HashToUInt64(dest[..24]));
    }

    /// <summary>Checks a file header; returns null when fine, else the problem.</summary>
    public static string? CheckFileHeader(ReadOnlySpan<byte> src, out DateTimeOffset created) => CheckFileHeader(src, out created, out _);

    /// <summary>Checks a file header; returns null when fine (with the file's format version), else the problem.</summary>
    public static string? CheckFileHeader(ReadOnlySpan<byte> src, out DateTimeOffset created, out ushort version)
    {
        created = default;
        version = 0;
        if (!src[..8].SequenceEqual(Magic)) return "not a TypedSkv data file (bad magic bytes)";
        if (BinaryPrimitives.ReadUInt64LittleEndian(src[24..]) != XxHash3.HashToUInt64(src[..24]))
            return "file header checksum mismatch";
        version = BinaryPrimitives.ReadUInt16LittleEndian(src[8..]);
        if (version is < OldestReadableVersion or > FormatVersion)
            return $"unsupported format version {version} (this build reads {OldestReadableVersion} to {FormatVersion})";
        if (BinaryPrimitives.ReadUInt16LittleEndian(src[10..]) != FileHeaderSize) return "unsupported file header size";
        created = DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64LittleEndian(src[16..]));
        return null;
    }
}
