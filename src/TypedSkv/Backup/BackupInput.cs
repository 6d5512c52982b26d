using System.IO.Compression;
using TypedSkv.Backup.Encryption;
using ZstdSharp;

namespace TypedSkv.Backup;

/// <summary>
/// The layers under a backup's JSON, found by their magic bytes, outermost first: the encryption envelope
/// (<see cref="EncryptionEnvelope.Magic"/>), then gzip (1F 8B) or zstd (28 B5 2F FD), then the JSON text. Works
/// on streams that cannot seek (pipes): the magic is peeked, not re-read. Opening an encrypted input checks the
/// secret (header MAC) at once, so a wrong passphrase is reported before a caller writes anything.
/// </summary>
internal sealed class BackupInput : IDisposable
{
    private readonly CountingStream _file;
    private readonly LayeredStream _json;

    private BackupInput(CountingStream file, Stream json)
    {
        _file = file;
        _json = (LayeredStream)json;
    }

    /// <summary>The JSON text.</summary>
    public Stream Json => _json;

    public bool Encrypted => _json.Encrypted;

    /// <summary>"none", "gzip" or "zstd".</summary>
    public string Compression => _json.Compression;

    /// <summary>Length of the file when it is one (else the bytes read).</summary>
    public long Length => _file.SourceBytes;

    public static BackupInput OpenFile(string path, bool? gzip, BackupEncryption? encryption)
    {
        var (file, json) = BackupFiles.OpenRead(path, gzip, encryption);
        return new BackupInput(file, json);
    }

    /// <summary>The JSON of <paramref name="counted"/> (the raw input), through whatever layers it has.</summary>
    public static LayeredStream Layers(CountingStream counted, string path, bool? gzip, BackupEncryption? encryption)
    {
        var layers = new LayeredStream();
        try
        {
            var compressed = counted;
            var peek = layers.Push(new PeekStream(counted));
            if (EncryptionEnvelope.StartsWithMagic(peek.Peek(EncryptionEnvelope.Magic.Length)))
            {
                Span<byte> header = stackalloc byte[EncryptionEnvelope.HeaderSize];
                int n = peek.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
                var (payloadKey, chunkSize) = EncryptionEnvelope.OpenHeader(header[..n], encryption, path);
                layers.Encrypted = true;
                // counted again: a gzip inside is checked for its trailer against the decrypted bytes
                compressed = layers.Push(new CountingStream(layers.Push(new DecryptingStream(peek, payloadKey, chunkSize)), leaveOpen: true));
                peek = layers.Push(new PeekStream(compressed));
            }
            ReadOnlySpan<byte> head = peek.Peek(4);
            bool isGzip = gzip ?? (head.Length >= 2 && head[0] == BackupFormat.GzipMagic0 && head[1] == BackupFormat.GzipMagic1);
            if (isGzip)
            {
                layers.Compression = "gzip";
                layers.Push(new GzipEndCheck(new GZipStream(peek, CompressionMode.Decompress, leaveOpen: true), compressed));
            }
            else if (gzip is null && head.SequenceEqual(BackupFormat.ZstdMagic))
            {
                layers.Compression = "zstd";
                layers.Push(new ZstdReadStream(new DecompressionStream(peek, leaveOpen: true, checkEndOfStream: true)));
            }
            return layers;
        }
        catch (BackupDataException ex)
        {
            // the first chunk is decrypted here, to peek at the compression magic
            layers.Dispose();
            throw new SkvBackupException(path, null, null, ex.Message, ex);
        }
        catch
        {
            layers.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _json.Dispose();
        _file.Dispose();
    }
}

/// <summary>The JSON at the top of a stack of read layers; disposing it disposes them all (not the raw input).</summary>
internal sealed class LayeredStream : ReadOnlyStream
{
    private readonly List<Stream> _layers = [];

    public bool Encrypted { get; set; }

    /// <summary>"none", "gzip" or "zstd".</summary>
    public string Compression { get; set; } = "none";

    /// <summary>The gzip layer, when there is one (it tells a truncated gzip).</summary>
    public GzipEndCheck? Gzip => _layers.Count > 0 ? _layers[^1] as GzipEndCheck : null;

    public T Push<T>(T layer) where T : Stream
    {
        _layers.Add(layer);
        return layer;
    }

    public override int Read(Span<byte> buffer) => _layers[^1].Read(buffer);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            for (int i = _layers.Count - 1; i >= 0; i--) _layers[i].Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Lets the first bytes be looked at without consuming them (for magic numbers on a pipe).</summary>
internal sealed class PeekStream(Stream inner) : ReadOnlyStream
{
    private readonly byte[] _head = new byte[16];
    private int _start, _end;

    /// <summary>Up to <paramref name="count"/> (at most 16) next bytes; fewer only at the end of the input.</summary>
    public ReadOnlySpan<byte> Peek(int count)
    {
        if (_start > 0)
        {
            _head.AsSpan(_start, _end - _start).CopyTo(_head);
            _end -= _start;
            _start = 0;
        }
        while (_end < count)
        {
            int n = inner.Read(_head, _end, count - _end);
            if (n <= 0) break;
            _end += n;
        }
        return _head.AsSpan(0, Math.Min(count, _end));
    }

    public override int Read(Span<byte> buffer)
    {
        if (_start < _end)
        {
            int n = Math.Min(buffer.Length, _end - _start);
            _head.AsSpan(_start, n).CopyTo(buffer);
            _start += n;
            return n;
        }
        return inner.Read(buffer);
    }
}

/// <summary>zstd's errors as <see cref="BackupDataException"/> with a message that says zstd.</summary>
internal sealed class ZstdReadStream(DecompressionStream inner) : ReadOnlyStream
{
    public override int Read(Span<byte> buffer)
    {
        try
        {
            return inner.Read(buffer);
        }
        catch (ZstdException ex)
        {
            throw new BackupDataException("the zstd data is corrupt: " + ex.Message, ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new BackupDataException("the zstd data is truncated (the file ends inside a zstd frame)", ex);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Base of the forward-only read layers.</summary>
internal abstract class ReadOnlyStream : Stream
{
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
    public abstract override int Read(Span<byte> buffer);
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
