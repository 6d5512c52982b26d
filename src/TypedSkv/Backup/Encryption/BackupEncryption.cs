using System.Security.Cryptography;
using System.Text;

namespace TypedSkv;

/// <summary>
/// The secret of an encrypted backup (docs/backup-format.md, "Encryption envelope"): a passphrase, from which a
/// key is derived with PBKDF2-HMAC-SHA256 (salt and iteration count stored in the file's header), or a 32-byte key
/// used directly. Give it to <see cref="BackupOptions.Encryption"/> to write an encrypted backup, and to
/// <see cref="RestoreOptions.Encryption"/> / <see cref="VerifyOptions.Encryption"/> to read one.
/// </summary>
public sealed class BackupEncryption
{
    /// <summary>PBKDF2-HMAC-SHA256 iterations written (OWASP's 2023 recommendation for that hash).</summary>
    public const int PassphraseIterations = 600_000;

    /// <summary>Readers refuse a header asking for more (a hostile file must not make a read take hours).</summary>
    public const int MaxIterations = 10_000_000;

    /// <summary>Size of a key given directly: AES-256.</summary>
    public const int KeySize = 32;

    private readonly byte[]? _passphrase;
    private readonly byte[]? _key;

    private BackupEncryption(byte[]? passphrase, byte[]? key, int iterations)
    {
        _passphrase = passphrase;
        _key = key;
        Iterations = iterations;
    }

    /// <summary>A passphrase: its UTF-8 bytes as given (no normalization, no trimming).</summary>
    public static BackupEncryption FromPassphrase(string passphrase) => FromPassphrase(passphrase, PassphraseIterations);

    /// <summary>Test seam: fewer iterations keep tests that encrypt often fast. Readers follow the header.</summary>
    internal static BackupEncryption FromPassphrase(string passphrase, int iterations)
    {
        ArgumentNullException.ThrowIfNull(passphrase);
        if (passphrase.Length == 0) throw new ArgumentException("the passphrase is empty", nameof(passphrase));
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(iterations, MaxIterations);
        return new BackupEncryption(Encoding.UTF8.GetBytes(passphrase), null, iterations);
    }

    /// <summary>A 32-byte key (e.g. from a key management service), used without key derivation.</summary>
    public static BackupEncryption FromKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeySize) throw new ArgumentException($"the key must be {KeySize} bytes, not {key.Length}", nameof(key));
        return new BackupEncryption(null, key.ToArray(), 0);
    }

    /// <summary>Whether this is a passphrase (else a key).</summary>
    public bool IsPassphrase => _passphrase is not null;

    /// <summary>PBKDF2 iterations used when writing with a passphrase.</summary>
    internal int Iterations { get; }

    /// <summary>Test seam: plaintext bytes per chunk written (small chunks give many chunks in a small file).</summary>
    internal int ChunkSize { get; set; } = Backup.Encryption.EncryptionEnvelope.ChunkSize;

    /// <summary>The 32-byte master key for a file with this salt (and, for a passphrase, iteration count).</summary>
    internal byte[] MasterKey(ReadOnlySpan<byte> salt, int iterations) =>
        _key is not null ? (byte[])_key.Clone() : Rfc2898DeriveBytes.Pbkdf2(_passphrase!, salt, iterations, HashAlgorithmName.SHA256, KeySize);

    public override string ToString() => IsPassphrase ? "BackupEncryption(passphrase)" : "BackupEncryption(key)";
}
