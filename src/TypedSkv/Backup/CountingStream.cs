namespace TypedSkv.Backup;

/// <summary>
/// A forward-only view of a stream that counts the bytes passing through and can peek at the first bytes without
/// seeking (a pipe cannot seek), so a gzip magic check works on stdin too.
/// </summary>
internal sealed class CountingStream(Stream inner, bool leaveOpen) : Stream
{
    private byte[] _peeked = [];
    private int _peekedAt;
    // the last bytes read, for the gzip trailer check
    private readonly byte[] _tail = new byte[8];
    private long _tailFill;

    public long BytesRead { get; private set; }
    public long BytesWritten { get; private set; }

    /// <summary>The input's size: a seekable stream's length, else what was read so far.</summary>
    public long SourceBytes => inner.CanSeek ? inner.Length : BytesRead;

    /// <summary>Whether the stream starts with these two bytes; they are read again by the next Read.</summary>
    public bool PeekStartsWith(byte first, byte second)
    {
        var head = new byte[2];
        int n = inner.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        _peeked = head[..n];
        _peekedAt = 0;
        return n == 2 && head[0] == first && head[1] == second;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        int n;
        if (_peekedAt < _peeked.Length)
        {
            n = Math.Min(buffer.Length, _peeked.Length - _peekedAt);
            _peeked.AsSpan(_peekedAt, n).CopyTo(buffer);
            _peekedAt += n;
        }
        else
        {
            n = inner.Read(buffer);
        }
        BytesRead += n;
        RememberTail(buffer[..n]);
        return n;
    }

    private void RememberTail(ReadOnlySpan<byte> read)
    {
        if (read.Length >= _tail.Length)
        {
            read[^_tail.Length..].CopyTo(_tail);
        }
        else if (read.Length > 0)
        {
            // shift left and append
            _tail.AsSpan(read.Length).CopyTo(_tail);
            read.CopyTo(_tail.AsSpan(_tail.Length - read.Length));
        }
        _tailFill = Math.Min(_tail.Length, _tailFill + read.Length);
    }

    /// <summary>The last <paramref name="tail"/>.Length bytes of the input once it was read to its end; false before that or when it was shorter.</summary>
    public bool TryGetTail(Span<byte> tail)
    {
        if (tail.Length > _tail.Length) return false;
        // the decompressor may have stopped early: read what is left, so the tail really is the end
        Span<byte> rest = stackalloc byte[4096];
        while (true)
        {
            int n = Read(rest);
            if (n == 0) break;
        }
        if (_tailFill < tail.Length) return false;
        _tail.AsSpan(_tail.Length - tail.Length).CopyTo(tail);
        return true;
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        inner.Write(buffer);
        BytesWritten += buffer.Length;
    }

    public override void Flush() => inner.Flush();
    public override bool CanRead => inner.CanRead;
    public override bool CanWrite => inner.CanWrite;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => BytesRead + BytesWritten; set => throw new NotSupportedException(); }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !leaveOpen) inner.Dispose();
        base.Dispose(disposing);
    }
}
