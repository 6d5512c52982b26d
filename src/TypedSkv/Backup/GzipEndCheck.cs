using System.Buffers.Binary;
using System.IO.Hashing;

namespace TypedSkv.Backup;

/// <summary>
/// .NET's GZipStream ends quietly when the compressed input is cut short, so a truncated .gz could pass for a
/// complete one. This view of the decompressed data checks, when it ends, that the input ended with the gzip
/// trailer of what was decompressed (CRC-32 and length, RFC 1952); otherwise it is a truncated or damaged gzip.
/// One gzip member is expected, as backup, gzip and pigz write.
/// </summary>
internal sealed class GzipEndCheck(Stream decompressed, CountingStream compressed, string name) : Stream
{
    private readonly Crc32 _crc = new();
    private long _length;
    private bool _checked;

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
            if (!complete)
                throw new SkvBackupException(name, null, null,
                    $"truncated gzip: the compressed data ends after {_length} bytes of JSON without the gzip end marker (the file was cut short or damaged)");
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
