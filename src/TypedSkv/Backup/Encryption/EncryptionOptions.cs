namespace TypedSkv;

public sealed partial class BackupOptions
{
    /// <summary>
    /// Encrypt the backup with this passphrase or key (AES-256-GCM envelope, docs/backup-format.md). The file then
    /// holds the envelope; decrypting it gives the backup as it would be written without encryption.
    /// </summary>
    public BackupEncryption? Encryption { get; set; }

    /// <summary>Compress with zstd; null = zstd when the path ends with ".zst". Not together with <see cref="Gzip"/>.</summary>
    public bool? Zstd { get; set; }

    /// <summary>Test seam: the "created_at" written (default: now).</summary>
    internal DateTimeOffset? CreatedAt { get; set; }
}

public sealed partial class RestoreOptions
{
    /// <summary>The passphrase or key of an encrypted backup (recognised by its magic bytes). Ignored for a file that is not encrypted.</summary>
    public BackupEncryption? Encryption { get; set; }
}

public sealed partial class VerifyOptions
{
    /// <summary>The passphrase or key of an encrypted backup (recognised by its magic bytes). Ignored for a file that is not encrypted.</summary>
    public BackupEncryption? Encryption { get; set; }
}

public static partial class SkvBackup
{
    /// <summary>Whether the file starts with the encryption envelope's magic bytes (docs/backup-format.md); false for a pipe, which is not read.</summary>
    public static bool IsEncrypted(string path)
    {
        Span<byte> head = stackalloc byte[8];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        // a pipe (restore db <(zcat x.gz)) is not read here: what this took, the restore would miss
        if (!file.CanSeek) return false;
        int n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        return TypedSkv.Backup.Encryption.EncryptionEnvelope.StartsWithMagic(head[..n]);
    }
}
