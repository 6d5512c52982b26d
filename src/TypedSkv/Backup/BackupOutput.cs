using System.IO.Compression;
using TypedSkv.Backup.Encryption;
using ZstdSharp;

namespace TypedSkv.Backup;

/// <summary>
/// The layers a backup's JSON goes through on its way to the file, innermost first: compression (gzip or zstd),
/// then encryption (compressing after encrypting would gain nothing). <see cref="Complete"/> closes them in that
/// order so each writes its end (gzip trailer, zstd epilogue, last sealed chunk) before the file is flushed.
/// </summary>
internal sealed class BackupOutput : IDisposable
{
    private readonly Stream? _compression;
    private readonly EncryptingStream? _encryption;
    private bool _completed;

    public BackupOutput(Stream file, string compression, BackupEncryption? encryption)
    {
        Stream under = file;
        if (encryption is not null) under = _encryption = new EncryptingStream(file, encryption);
        _compression = compression switch
        {
            "gzip" => new GZipStream(under, CompressionLevel.Fastest, leaveOpen: true),
            "zstd" => new CompressionStream(under, BackupFormat.ZstdLevel, leaveOpen: true),
            "none" => null,
            _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "unknown compression"),
        };
        Json = _compression ?? under;
    }

    /// <summary>Where the JSON text goes.</summary>
    public Stream Json { get; }

    /// <summary>"none", "gzip" or "zstd" for a backup to <paramref name="fullPath"/> with these options.</summary>
    public static string CompressionFor(string fullPath, bool? gzip, bool? zstd)
    {
        bool useGzip = gzip ?? (zstd != true && BackupFormat.IsGzipPath(fullPath));
        bool useZstd = zstd ?? (gzip != true && BackupFormat.IsZstdPath(fullPath));
        if (useGzip && useZstd) throw new ArgumentException("a backup is compressed with gzip or with zstd, not both");
        return useGzip ? "gzip" : useZstd ? "zstd" : "none";
    }

    /// <summary>Writes every layer's end; the file itself stays open for the caller to flush.</summary>
    public void Complete()
    {
        if (_completed) return;
        _completed = true;
        _compression?.Dispose();
        _encryption?.Complete();
    }

    public void Dispose()
    {
        _compression?.Dispose();
        _encryption?.Dispose();
    }
}
