using System.Security.Cryptography;

namespace TypedSkv.Backup.Encryption;

/// <summary>
/// Reads the envelope's payload (after <see cref="EncryptionEnvelope.OpenHeader"/>): chunk by chunk, each
/// authenticated before one byte of it is returned. The last chunk is the one the input ends with (one byte of
/// look-ahead tells a full last chunk from a full middle one), and it must authenticate as last: a file cut at a
/// chunk boundary fails there. Memory: two chunk buffers.
/// </summary>
internal sealed class DecryptingStream : ReadOnlyStream
{
    private readonly Stream _inner;
    private readonly AesGcm _aes;
    private readonly int _chunkSize;
    private readonly byte[] _sealed;
    private readonly byte[] _plain;
    private int _plainStart, _plainEnd;
    private int _lookahead = -1;  // a byte read past a full chunk, the first of the next one
    private long _index;
    private long _offset = EncryptionEnvelope.HeaderSize; // file offset of the next chunk
    private bool _finished;

    public DecryptingStream(Stream inner, byte[] payloadKey, int chunkSize)
    {
        _inner = inner;
        _chunkSize = chunkSize;
        _aes = new AesGcm(payloadKey, EncryptionEnvelope.TagSize);
        CryptographicOperations.ZeroMemory(payloadKey);
        _sealed = new byte[chunkSize + EncryptionEnvelope.TagSize];
        _plain = new byte[chunkSize];
    }

    public override int Read(Span<byte> buffer)
    {
        while (_plainStart == _plainEnd)
        {
            if (_finished || buffer.IsEmpty) return 0;
            OpenNextChunk();
        }
        int n = Math.Min(buffer.Length, _plainEnd - _plainStart);
        _plain.AsSpan(_plainStart, n).CopyTo(buffer);
        _plainStart += n;
        return n;
    }

    private void OpenNextChunk()
    {
        int have = 0;
        if (_lookahead >= 0)
        {
            _sealed[0] = (byte)_lookahead;
            _lookahead = -1;
            have = 1;
        }
        have += _inner.ReadAtLeast(_sealed.AsSpan(have), _sealed.Length - have, throwOnEndOfStream: false);
        bool last = have < _sealed.Length;
        if (!last)
        {
            int next = _inner.ReadByte();
            if (next < 0) last = true;
            else _lookahead = next;
        }
        if (have < EncryptionEnvelope.TagSize)
            throw new BackupDataException(have == 0 && _index == 0
                ? "the encrypted file has a header but no data (truncated file?)"
                : $"the encrypted data is truncated: chunk {_index} at byte {_offset} has {have} bytes, less than its {EncryptionEnvelope.TagSize}-byte tag");

        int length = have - EncryptionEnvelope.TagSize;
        Span<byte> nonce = stackalloc byte[EncryptionEnvelope.NonceSize];
        EncryptionEnvelope.Nonce(nonce, _index, last);
        try
        {
            _aes.Decrypt(nonce, _sealed.AsSpan(0, length), _sealed.AsSpan(length, EncryptionEnvelope.TagSize), _plain.AsSpan(0, length));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new BackupDataException(
                $"the encrypted data is damaged, truncated or reordered: chunk {_index} (at byte {_offset}{(last ? ", the file's last" : "")}) does not authenticate", ex);
        }
        _plainStart = 0;
        _plainEnd = length;
        _offset += have;
        _index++;
        _finished = last;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _aes.Dispose();
            CryptographicOperations.ZeroMemory(_plain);
        }
        base.Dispose(disposing);
    }
}
