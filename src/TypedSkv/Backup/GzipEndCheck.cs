using System.Buffers.Binary;
using System.IO.Hashing;

namespace TypedSkv.Backup;

/// <summary>
/// .NET's GZipStream ends quietly when the compressed input is cut short, so a truncated .gz could pass for a
/// complete one. This view of the decompressed data checks, when it ends, that the input ended with the gzip
/// trailer of what was decompressed (CRC-32 and length, RFC 1952); otherwise <see cref="Truncated"/> is set and the
/// reading code reports a truncated gzip (with the record it was in, when the JSON broke off too). One gzip member
/// is expected, as backup, gzip and pigz write.
/// </summary>
internal sealed class GzipEndCheck(Stream decompressed, CountingStream compressed) : Stream
{
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _checked;

    /// <summary>The input ended without the gzip trailer of the data read (known once the data's end was read).</summary>
    public bool Truncated { get; private set; }

    public string Problem => $"truncated gzip: the compressed data ends after {_length} bytes of JSON without the gzip end marker (the file was cut short or damaged)";

    /// <summary>Whether a reader's stream is a gzip that ended early.</summary>
    public static bool IsTruncated(Stream json) => Of(json) is { Truncated: true };

    /// <summary>The gzip layer of a reader's stream (under the other layers' wrapper), if any.</summary>
    public static GzipEndCheck? Of(Stream json) => json is LayeredStream layers ? layers.Gzip : json as GzipEndCheck;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n = decompressed.Read(buffer);
        if (n > 0)
        {
            _crc.Append(buffer[..n]);
            _length += n;
        }
        else if (!_checked && buffer.Length > 0)
        {
            _checked = true;
            Span<byte> trailer = stackalloc byte[8];
            bool complete = compressed.TryGetTail(trailer)
                && BinaryPrimitives.ReadUInt32LittleEndian(trailer) == _crc.GetCurrentHashAsUInt32()
                && BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == (uint)_length;
            Truncated = !complete;
        }
        return n;
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => _length; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) decompressed.Dispose();
        base.Dispose(disposing);
    }
}
