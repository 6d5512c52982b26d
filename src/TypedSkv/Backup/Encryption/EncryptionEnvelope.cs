using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TypedSkv.Backup.Encryption;

/// <summary>
/// Layout of the encryption envelope (docs/backup-format.md, "Encryption envelope"). The header is authenticated
/// with HMAC-SHA256 under a key derived from the secret, so a wrong passphrase is told apart from damaged data
/// before a single chunk is decrypted. The payload is a sequence of AES-256-GCM chunks (the STREAM construction of
/// age and Tink's streaming AEAD): nonce = 11-byte big-endian chunk counter + 1 byte that is 1 only on the last
/// chunk, so reordering, truncation at a chunk boundary and appended data all fail authentication.
/// </summary>
internal static class EncryptionEnvelope
{
    /// <summary>"\x89SKVENC\n": not JSON, gzip or zstd; the high first byte and the newline catch text-mode mangling.</summary>
    public static ReadOnlySpan<byte> Magic => [0x89, (byte)'S', (byte)'K', (byte)'V', (byte)'E', (byte)'N', (byte)'C', 0x0A];

    public const byte Version = 1;

    public const byte KdfPbkdf2Sha256 = 1;   // key from a passphrase
    public const byte KdfNone = 2;           // a 32-byte key given directly
    public const byte CipherAes256Gcm = 1;

    // header offsets
    public const int VersionOffset = 8;      // 1 byte
    public const int KdfOffset = 9;          // 1 byte
    public const int CipherOffset = 10;      // 1 byte
    public const int ReservedOffset = 11;    // 1 byte, 0
    public const int IterationsOffset = 12;  // uint32 big-endian; 0 with KdfNone
    public const int ChunkSizeOffset = 16;   // uint32 big-endian: plaintext bytes per chunk (the last may be shorter)
    public const int SaltOffset = 20;        // 32 random bytes
    public const int SaltSize = 32;
    public const int MacOffset = 52;         // HMAC-SHA256 over bytes 0..51
    public const int MacSize = 32;
    public const int HeaderSize = 84;

    public const int TagSize = 16;
    public const int NonceSize = 12;

    /// <summary>Plaintext bytes per chunk written (as age).</summary>
    public const int ChunkSize = 64 * 1024;
    public const int MinChunkSize = 1024, MaxChunkSize = 16 * 1024 * 1024;

    private static ReadOnlySpan<byte> HeaderKeyInfo => "TypedSkv backup v1 header"u8;
    private static ReadOnlySpan<byte> PayloadKeyInfo => "TypedSkv backup v1 payload"u8;

    public static bool StartsWithMagic(ReadOnlySpan<byte> head) => head.Length >= Magic.Length && head[..Magic.Length].SequenceEqual(Magic);

    /// <summary>The header key and the payload key of one file: HKDF-SHA256 over the master key, salted with the file's salt.</summary>
    public static (byte[] HeaderKey, byte[] PayloadKey) FileKeys(byte[] masterKey, ReadOnlySpan<byte> salt)
    {
        try
        {
            byte[] prk = HKDF.Extract(HashAlgorithmName.SHA256, masterKey, salt.ToArray());
            var header = new byte[32];
            var payload = new byte[32];
            HKDF.Expand(HashAlgorithmName.SHA256, prk, header, HeaderKeyInfo);
            HKDF.Expand(HashAlgorithmName.SHA256, prk, payload, PayloadKeyInfo);
            CryptographicOperations.ZeroMemory(prk);
            return (header, payload);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(masterKey);
        }
    }

    /// <summary>A new header for <paramref name="secret"/> with a fresh salt; returns it and the payload key.</summary>
    public static (byte[] Header, byte[] PayloadKey) NewHeader(BackupEncryption secret)
    {
        var header = new byte[HeaderSize];
        Magic.CopyTo(header);
        header[VersionOffset] = Version;
        header[KdfOffset] = secret.IsPassphrase ? KdfPbkdf2Sha256 : KdfNone;
        header[CipherOffset] = CipherAes256Gcm;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(IterationsOffset), secret.IsPassphrase ? (uint)secret.Iterations : 0);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(ChunkSizeOffset), (uint)secret.ChunkSize);
        RandomNumberGenerator.Fill(header.AsSpan(SaltOffset, SaltSize));
        var salt = header.AsSpan(SaltOffset, SaltSize);
        var (headerKey, payloadKey) = FileKeys(secret.MasterKey(salt, secret.Iterations), salt);
        HMACSHA256.HashData(headerKey, header.AsSpan(0, MacOffset), header.AsSpan(MacOffset, MacSize));
        CryptographicOperations.ZeroMemory(headerKey);
        return (header, payloadKey);
    }

    /// <summary>
    /// Checks a header read from a file and derives the payload key. Throws <see cref="SkvBackupException"/> for a
    /// malformed header or a wrong secret, <see cref="SkvBackupSecretException"/> when no secret or the wrong kind was given.
    /// </summary>
    public static (byte[] PayloadKey, int ChunkSize) OpenHeader(ReadOnlySpan<byte> header, BackupEncryption? secret, string path)
    {
        SkvBackupException Bad(string problem) => new(path, null, null, problem);
        if (header.Length < HeaderSize) throw Bad($"the encrypted file ends inside its {HeaderSize}-byte header (truncated file?)");
        if (header[VersionOffset] != Version) throw Bad($"unsupported encryption envelope version {header[VersionOffset]}: this build reads version {Version}");
        byte kdf = header[KdfOffset];
        if (kdf is not (KdfPbkdf2Sha256 or KdfNone)) throw Bad($"unknown key derivation {kdf} in the encryption header");
        if (header[CipherOffset] != CipherAes256Gcm) throw Bad($"unknown cipher {header[CipherOffset]} in the encryption header");
        if (header[ReservedOffset] != 0) throw Bad("the encryption header's reserved byte is not 0");
        uint iterations = BinaryPrimitives.ReadUInt32BigEndian(header[IterationsOffset..]);
        if (kdf == KdfPbkdf2Sha256 && iterations is < 1 or > BackupEncryption.MaxIterations)
            throw Bad($"the encryption header asks for {iterations} PBKDF2 iterations; readers accept 1 to {BackupEncryption.MaxIterations}");
        if (kdf == KdfNone && iterations != 0) throw Bad("the encryption header has an iteration count but no key derivation");
        uint chunkSize = BinaryPrimitives.ReadUInt32BigEndian(header[ChunkSizeOffset..]);
        if (chunkSize is < MinChunkSize or > MaxChunkSize)
            throw Bad($"the encryption header's chunk size {chunkSize} is outside {MinChunkSize}..{MaxChunkSize}");

        if (secret is null)
            throw new SkvBackupSecretException(path, $"{path} is encrypted: a passphrase or key is needed to read it");
        if (secret.IsPassphrase != (kdf == KdfPbkdf2Sha256))
            throw new SkvBackupSecretException(path, kdf == KdfPbkdf2Sha256
                ? $"{path} was encrypted with a passphrase, not a key: give the passphrase"
                : $"{path} was encrypted with a 32-byte key, not a passphrase: give the key");

        var salt = header.Slice(SaltOffset, SaltSize);
        var (headerKey, payloadKey) = FileKeys(secret.MasterKey(salt, (int)iterations), salt);
        Span<byte> mac = stackalloc byte[MacSize];
        HMACSHA256.HashData(headerKey, header[..MacOffset], mac);
        CryptographicOperations.ZeroMemory(headerKey);
        if (!CryptographicOperations.FixedTimeEquals(mac, header.Slice(MacOffset, MacSize)))
        {
            CryptographicOperations.ZeroMemory(payloadKey);
            throw Bad(secret.IsPassphrase
                ? "wrong passphrase (or the encryption header is damaged)"
                : "wrong key (or the encryption header is damaged)");
        }
        return (payloadKey, (int)chunkSize);
    }

    /// <summary>Chunk <paramref name="index"/>'s nonce: the counter big-endian in bytes 0..10, byte 11 = 1 on the last chunk.</summary>
    public static void Nonce(Span<byte> nonce, long index, bool last)
    {
        nonce.Clear();
        BinaryPrimitives.WriteInt64BigEndian(nonce.Slice(3, 8), index);
        nonce[11] = last ? (byte)1 : (byte)0;
    }
}
