using System.Security.Cryptography;

namespace TypedSkv.Backup.Encryption;

/// <summary>
/// Writes the envelope: the header at once, then the plaintext in sealed chunks of <see cref="EncryptionEnvelope.ChunkSize"/>
/// bytes (<see cref="BackupEncryption.ChunkSize"/>). A full chunk is sealed only when more data follows, so <see cref="Complete"/> can mark the final one as last.
/// Without <see cref="Complete"/> the output has no last chunk and every reader rejects it as truncated.
/// </summary>
internal sealed class EncryptingStream : Stream
{
    private readonly Stream _inner;
    private readonly AesGcm _aes;
    private readonly byte[] _plain;
    private readonly byte[] _sealed;
    private int _pending;
    private long _index;
    private bool _completed;

    public EncryptingStream(Stream inner, BackupEncryption secret)
    {
        _inner = inner;
        _plain = new byte[secret.ChunkSize];
        _sealed = new byte[secret.ChunkSize + EncryptionEnvelope.TagSize];
        var (header, payloadKey) = EncryptionEnvelope.NewHeader(secret);
        _aes = new AesGcm(payloadKey, EncryptionEnvelope.TagSize);
        CryptographicOperations.ZeroMemory(payloadKey);
        _inner.Write(header);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (_completed) throw new InvalidOperationException("the encrypted stream is complete");
        while (!buffer.IsEmpty)
        {
            if (_pending == _plain.Length) Seal(last: false);
            int n = Math.Min(buffer.Length, _plain.Length - _pending);
            buffer[..n].CopyTo(_plain.AsSpan(_pending));
            _pending += n;
            buffer = buffer[n..];
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Seals the remaining bytes as the last chunk (an empty one for an empty payload).</summary>
    public void Complete()
    {
        if (_completed) return;
        Seal(last: true);
        _completed = true;
        _inner.Flush();
    }

    private void Seal(bool last)
    {
        Span<byte> nonce = stackalloc byte[EncryptionEnvelope.NonceSize];
        EncryptionEnvelope.Nonce(nonce, _index, last);
        var cipher = _sealed.AsSpan(0, _pending);
        _aes.Encrypt(nonce, _plain.AsSpan(0, _pending), cipher, _sealed.AsSpan(_pending, EncryptionEnvelope.TagSize));
        _inner.Write(_sealed, 0, _pending + EncryptionEnvelope.TagSize);
        _index++;
        _pending = 0;
    }

    /// <summary>Passes buffered ciphertext on; a partial chunk stays until it is full or the stream completes.</summary>
    public override void Flush() => _inner.Flush();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => !_completed;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
