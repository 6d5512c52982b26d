using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using TypedSkv.Backup;
using TypedSkv.Backup.Encryption;

namespace TypedSkv.Tests;

/// <summary>The encryption envelope: round trips, wrong secrets, and every kind of tampering.</summary>
public sealed class BackupEncryptionTests
{
    // few PBKDF2 iterations: these tests derive keys thousands of times (readers follow the header)
    private static BackupEncryption Fast(string passphrase = "correct horse", int chunkSize = EncryptionEnvelope.ChunkSize) =>
        new BackupEncryptionBuilder(passphrase, chunkSize).Build();

    private sealed record BackupEncryptionBuilder(string Passphrase, int ChunkSize)
    {
        public BackupEncryption Build()
        {
            var e = BackupEncryption.FromPassphrase(Passphrase, iterations: 10);
            e.ChunkSize = ChunkSize;
            return e;
        }
    }

    private static void Fill(SkvStore store, int n, int valueBytes = 40)
    {
        var rng = new Random(7);
        for (int i = 0; i < n; i++)
        {
            var v = new byte[valueBytes];
            rng.NextBytes(v);
            store.Put(Encoding.UTF8.GetBytes($"key:{i:D5}"), i % 2 == 0 ? v : Encoding.UTF8.GetBytes(Convert.ToHexString(v)));
        }
    }

    [Theory]
    [InlineData("b.json")]
    [InlineData("b.json.gz")]
    [InlineData("b.json.zst")]
    public void Passphrase_RoundTrip_WithAnyCompression(string name)
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        Fill(source, 3000);
        string path = dir.File(name);

        source.Backup(path, new BackupOptions { Encryption = Fast() });

        byte[] file = File.ReadAllBytes(path);
        Assert.True(EncryptionEnvelope.StartsWithMagic(file));
        Assert.Equal(-1, file.AsSpan().IndexOf("key:00001"u8)); // no plaintext leaks
        using var target = dir.OpenStore("b.skv");
        var result = target.Restore(path, new RestoreOptions { Encryption = Fast() });
        Assert.Equal(3000, result.Records);
        Assert.Equal(StoreDigest.Dump(source), StoreDigest.Dump(target));
        var report = SkvBackup.Verify(path, target, new VerifyOptions { Encryption = Fast() });
        Assert.True(report.Ok, report.ToString());
        Assert.True(report.Encrypted);
        Assert.Equal(name.EndsWith(".gz") ? "gzip" : name.EndsWith(".zst") ? "zstd" : "none", report.Compression);
    }

    [Fact]
    public void Key_RoundTrip_AndEveryFileGetsItsOwnSalt()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        Fill(source, 100);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        source.Backup(dir.File("1.json"), new BackupOptions { Encryption = BackupEncryption.FromKey(key) });
        source.Backup(dir.File("2.json"), new BackupOptions { Encryption = BackupEncryption.FromKey(key) });

        byte[] a = File.ReadAllBytes(dir.File("1.json")), b = File.ReadAllBytes(dir.File("2.json"));
        Assert.Equal(EncryptionEnvelope.KdfNone, a[EncryptionEnvelope.KdfOffset]);
        Assert.False(a.AsSpan(EncryptionEnvelope.SaltOffset, 32).SequenceEqual(b.AsSpan(EncryptionEnvelope.SaltOffset, 32)));
        Assert.False(a.AsSpan(EncryptionEnvelope.HeaderSize, 64).SequenceEqual(b.AsSpan(EncryptionEnvelope.HeaderSize, 64)));
        using var target = dir.OpenStore("b.skv");
        target.Restore(dir.File("2.json"), new RestoreOptions { Encryption = BackupEncryption.FromKey(key) });
        Assert.Equal(StoreDigest.Dump(source), StoreDigest.Dump(target));
    }

    [Fact]
    public void Default_Passphrase_Uses600kIterations_InTheHeader()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        string path = dir.File("b.json");
        store.Backup(path, new BackupOptions { Encryption = BackupEncryption.FromPassphrase("pw") });
        byte[] file = File.ReadAllBytes(path);
        Assert.Equal(EncryptionEnvelope.KdfPbkdf2Sha256, file[EncryptionEnvelope.KdfOffset]);
        Assert.Equal(600_000u, BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(EncryptionEnvelope.IterationsOffset)));
        Assert.Equal((uint)EncryptionEnvelope.ChunkSize, BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(EncryptionEnvelope.ChunkSizeOffset)));
        Assert.True(SkvBackup.Verify(path, new VerifyOptions { Encryption = BackupEncryption.FromPassphrase("pw") }).Ok);
    }

    [Fact]
    public void WrongPassphrase_IsReportedBeforeAnythingIsWritten_AndNamedAsSuch()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        Fill(store, 50);
        string path = dir.File("b.json");
        store.Backup(path, new BackupOptions { Encryption = Fast("right") });
        store.Put("key:00003", "changed after the backup");
        string before = StoreDigest.Of(store);

        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path, new RestoreOptions { Encryption = Fast("wrong"), Mode = RestoreMode.Replace }));
        Assert.Contains("wrong passphrase", ex.Message);
        Assert.Equal(before, StoreDigest.Of(store));
        var report = SkvBackup.Verify(path, new VerifyOptions { Encryption = Fast("wrong") });
        Assert.False(report.Ok);
        Assert.Contains("wrong passphrase", report.Problems.Single().Message);
    }

    [Fact]
    public void MissingSecret_OrTheWrongKind_IsAnArgumentError()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        string byPassphrase = dir.File("p.json"), byKey = dir.File("k.json");
        store.Backup(byPassphrase, new BackupOptions { Encryption = Fast() });
        store.Backup(byKey, new BackupOptions { Encryption = BackupEncryption.FromKey(new byte[32]) });

        Assert.Contains("is encrypted", Assert.Throws<SkvBackupSecretException>(() => store.Restore(byPassphrase)).Message);
        Assert.Contains("is encrypted", Assert.Throws<SkvBackupSecretException>(() => SkvBackup.Verify(byKey)).Message);
        Assert.Contains("give the passphrase", Assert.Throws<SkvBackupSecretException>(() =>
            store.Restore(byPassphrase, new RestoreOptions { Encryption = BackupEncryption.FromKey(new byte[32]) })).Message);
        Assert.Contains("give the key", Assert.Throws<SkvBackupSecretException>(() =>
            store.Restore(byKey, new RestoreOptions { Encryption = Fast() })).Message);
        Assert.Throws<ArgumentException>(() => BackupEncryption.FromKey(new byte[16]));
        Assert.Throws<ArgumentException>(() => BackupEncryption.FromPassphrase(""));
    }

    [Fact]
    public void APlainBackup_RestoresWithASecretGiven()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        store.Backup(dir.File("b.json"));
        var report = SkvBackup.Verify(dir.File("b.json"), new VerifyOptions { Encryption = Fast() });
        Assert.True(report.Ok);
        Assert.False(report.Encrypted);
    }

    /// <summary>A small file of several 1 KiB chunks: header + 4 or 5 chunks.</summary>
    private static (string Path, byte[] Bytes, string Digest) SmallEncryptedBackup(TempDir dir, SkvStore store)
    {
        using var source = dir.OpenStore("source.skv");
        Fill(source, 40);
        string path = dir.File("small.json");
        source.Backup(path, new BackupOptions { Encryption = Fast(chunkSize: 1024), Indented = false });
        Fill(store, 5);
        return (path, File.ReadAllBytes(path), StoreDigest.Of(store));
    }

    private static int ChunkCount(byte[] file) =>
        (int)Math.Ceiling((file.Length - EncryptionEnvelope.HeaderSize) / (double)(1024 + EncryptionEnvelope.TagSize));

    [Fact]
    public void EveryByteFlipped_IsDetected_AndTheStoreStaysUnchanged()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var (path, bytes, digest) = SmallEncryptedBackup(dir, store);
        Assert.InRange(ChunkCount(bytes), 3, 8);
        var options = new RestoreOptions { Encryption = Fast(), Mode = RestoreMode.Replace };
        string damaged = dir.File("damaged.json");

        var undetected = new List<int>();
        for (int i = 0; i < bytes.Length; i++)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[i] ^= 0x01;
            File.WriteAllBytes(damaged, copy);
            try
            {
                store.Restore(damaged, options);
                undetected.Add(i);
            }
            catch (SkvBackupException) { }
            catch (ArgumentException) { } // a flipped key-derivation byte can name another kind of secret
        }

        Assert.Empty(undetected);
        Assert.Equal(digest, StoreDigest.Of(store));
    }

    [Fact]
    public void EveryByteFlipped_FailsVerify()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var (_, bytes, _) = SmallEncryptedBackup(dir, store);
        string damaged = dir.File("damaged.json");
        for (int i = 0; i < bytes.Length; i += 7)
        {
            byte[] copy = (byte[])bytes.Clone();
            copy[i] ^= 0x80;
            File.WriteAllBytes(damaged, copy);
            VerifyReport report;
            try { report = SkvBackup.Verify(damaged, new VerifyOptions { Encryption = Fast() }); }
            catch (ArgumentException) { continue; }
            Assert.False(report.Ok, $"byte {i} flipped");
        }
    }

    [Fact]
    public void TruncatedAtEveryLength_IncludingEveryChunkBoundary_IsDetected()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var (path, bytes, digest) = SmallEncryptedBackup(dir, store);
        string cut = dir.File("cut.json");
        var boundaries = Enumerable.Range(0, ChunkCount(bytes)).Select(k => EncryptionEnvelope.HeaderSize + k * (1024 + EncryptionEnvelope.TagSize)).ToHashSet();
        Assert.Contains(EncryptionEnvelope.HeaderSize + 1040, boundaries);

        for (int length = 0; length < bytes.Length; length++)
        {
            File.WriteAllBytes(cut, bytes[..length]);
            var ex = Record.Exception(() => store.Restore(cut, new RestoreOptions { Encryption = Fast() }));
            Assert.True(ex is SkvBackupException, $"cut at {length}: {ex?.GetType().Name ?? "restored"}");
            if (boundaries.Contains(length) && length > EncryptionEnvelope.HeaderSize)
                Assert.Contains("does not authenticate", ex!.Message);
        }
        Assert.Equal(digest, StoreDigest.Of(store));
    }

    [Fact]
    public void ChunksSwapped_OrDuplicated_OrDataAppended_IsDetected()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var (path, bytes, digest) = SmallEncryptedBackup(dir, store);
        const int sealedSize = 1024 + EncryptionEnvelope.TagSize;
        int chunks = ChunkCount(bytes);
        byte[] Chunk(int k) => bytes.AsSpan(EncryptionEnvelope.HeaderSize + k * sealedSize, Math.Min(sealedSize, bytes.Length - EncryptionEnvelope.HeaderSize - k * sealedSize)).ToArray();
        byte[] Assemble(params int[] order) => [.. bytes[..EncryptionEnvelope.HeaderSize], .. order.SelectMany(Chunk)];

        Assert.Equal(bytes, Assemble([.. Enumerable.Range(0, chunks)])); // the layout is as documented
        var variants = new List<byte[]>
        {
            Assemble([1, 0, .. Enumerable.Range(2, chunks - 2)]),             // first two swapped
            Assemble([0, 2, 1, .. Enumerable.Range(3, chunks - 3)]),          // middle two swapped
            Assemble([.. Enumerable.Range(0, chunks - 2), chunks - 1, chunks - 2]), // last moved forward
            Assemble([0, 0, .. Enumerable.Range(1, chunks - 1)]),             // a chunk repeated
            Assemble([.. Enumerable.Range(0, chunks - 2), chunks - 1]),       // a middle chunk dropped
            bytes.Append((byte)0).ToArray(),                                  // a byte appended
            bytes.Concat(Chunk(0)).ToArray(),                                 // a chunk appended
        };
        string damaged = dir.File("damaged.json");
        foreach (var variant in variants)
        {
            File.WriteAllBytes(damaged, variant);
            Assert.Throws<SkvBackupException>(() => store.Restore(damaged, new RestoreOptions { Encryption = Fast() }));
            Assert.False(SkvBackup.Verify(damaged, new VerifyOptions { Encryption = Fast() }).Ok);
        }
        Assert.Equal(digest, StoreDigest.Of(store));
    }

    [Fact]
    public void Envelope_DecryptsAsDocumented_ToAPlainBackup()
    {
        // an independent reading of docs/backup-format.md's "Encryption envelope", with the BCL primitives only
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        Fill(store, 300);
        string path = dir.File("b.json"), plain = dir.File("plain.json");
        var options = new BackupOptions { Encryption = Fast("pw", chunkSize: 4096), CreatedAt = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero) };
        store.Backup(path, options);
        store.Backup(plain, new BackupOptions { CreatedAt = options.CreatedAt });
        byte[] file = File.ReadAllBytes(path);

        Assert.Equal(new byte[] { 0x89, 0x53, 0x4B, 0x56, 0x45, 0x4E, 0x43, 0x0A, 1, 1, 1, 0 }, file[..12]);
        int iterations = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(12));
        int chunkSize = (int)BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(16));
        byte[] salt = file[20..52];
        byte[] master = Rfc2898DeriveBytes.Pbkdf2("pw"u8.ToArray(), salt, iterations, HashAlgorithmName.SHA256, 32);
        byte[] prk = HKDF.Extract(HashAlgorithmName.SHA256, master, salt);
        byte[] headerKey = HKDF.Expand(HashAlgorithmName.SHA256, prk, 32, "TypedSkv backup v1 header"u8.ToArray());
        byte[] payloadKey = HKDF.Expand(HashAlgorithmName.SHA256, prk, 32, "TypedSkv backup v1 payload"u8.ToArray());
        Assert.Equal(HMACSHA256.HashData(headerKey, file[..52]), file[52..84]);

        using var aes = new AesGcm(payloadKey, 16);
        var output = new MemoryStream();
        int at = 84;
        for (long index = 0; at < file.Length; index++)
        {
            int length = Math.Min(chunkSize + 16, file.Length - at);
            bool last = at + length == file.Length;
            var nonce = new byte[12];
            BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(3), index);
            nonce[11] = last ? (byte)1 : (byte)0;
            var chunkPlain = new byte[length - 16];
            aes.Decrypt(nonce, file.AsSpan(at, length - 16), file.AsSpan(at + length - 16, 16), chunkPlain);
            output.Write(chunkPlain);
            at += length;
        }
        Assert.Equal(File.ReadAllBytes(plain), output.ToArray());
    }

    [Fact]
    public void NonSeekableInput_IsDetectedAndDecrypted()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        Fill(store, 200);
        string path = dir.File("b.json.zst");
        store.Backup(path, new BackupOptions { Encryption = Fast() });
        using var pipe = new ForwardOnlyStream(File.ReadAllBytes(path));
        var (file, json) = BackupFiles.OpenRead(pipe, null, leaveOpen: true, "-", Fast());
        using var _ = file;
        using var __ = json;
        using var reader = new BackupReader("-", json);
        long n = 0;
        while (reader.Next()) n++;
        Assert.Equal(200, n);
        Assert.Empty(reader.FileProblems);
        var layers = Assert.IsType<LayeredStream>(json);
        Assert.True(layers.Encrypted);
        Assert.Equal("zstd", layers.Compression);
    }
}

/// <summary>A stream that cannot seek, like a pipe (and returns at most 1000 bytes a read).</summary>
internal sealed class ForwardOnlyStream(byte[] data) : ReadOnlyStream
{
    private readonly MemoryStream _inner = new(data);
    public override int Read(Span<byte> buffer) => _inner.Read(buffer[..Math.Min(buffer.Length, 1000)]);
}
