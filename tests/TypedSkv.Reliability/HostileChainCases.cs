using System.Security.Cryptography;
using System.Text;
using CsCheck;
using TypedSkv.Tests;

namespace TypedSkv.Reliability;

/// <summary>
/// 4b. Hostile encrypted and incremental backups: generated mutations of a chain (an encrypted full backup, an encrypted
/// gzip incremental, an encrypted zstd incremental) against chain restore, chain verify and one-file restore. Every
/// attempt either succeeds or throws <see cref="SkvBackupException"/> (or <see cref="ArgumentException"/> when a
/// mutated header asks for another kind of secret), and a failed restore leaves the store exactly as it was: no
/// partial restore, ever.
/// </summary>
public static class HostileChainCases
{
    private static readonly byte[] Key = SHA256.HashData("reliability harness key"u8);

    public static CaseResult Run(Profile profile, string dir)
    {
        var tally = new Tally("4b. hostile encrypted and incremental backups");
        var secret = BackupEncryption.FromKey(Key);
        string[] originals = MakeChain(dir, secret);
        byte[][] valid = originals.Select(File.ReadAllBytes).ToArray();
        string[] mutated = originals.Select(p => Path.Combine(dir, "m-" + Path.GetFileName(p))).ToArray();

        using var store = SkvStore.Open(Path.Combine(dir, "target.skv"), new SkvOptions { Durability = SkvDurability.None });
        void Reset()
        {
            SkvBackup.Restore(store, originals, new RestoreOptions { Mode = RestoreMode.Replace, Encryption = secret });
            store.Put("pre-existing", "must survive every failed restore");
        }
        Reset();
        string reference = StoreDigest.Of(store);
        long rejected = 0, accepted = 0;

        void Attempt(string what, byte[][] files, RestoreMode mode)
        {
            Interlocked.Increment(ref tally.Iterations);
            for (int i = 0; i < files.Length; i++) File.WriteAllBytes(mutated[i], files[i]);
            string[] chain = mutated[..files.Length];
            string before = StoreDigest.Of(store);
            try
            {
                SkvBackup.Restore(store, chain, new RestoreOptions { Mode = mode, Encryption = secret, MaxValueBytes = 1 << 20 });
                accepted++;
                Reset();
            }
            catch (Exception ex) when (ex is SkvBackupException or ArgumentException)
            {
                rejected++;
                if (StoreDigest.Of(store) != before) tally.Fail(ref tally.Wrong, $"{what}: a failed chain restore changed the store");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"{what}: {ex.GetType().Name}: {ex.Message}");
            }
            try
            {
                SkvBackup.Verify(chain, store, new VerifyOptions { Encryption = secret, MaxValueBytes = 1 << 20 });
            }
            catch (ArgumentException) { }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"verify {what}: {ex.GetType().Name}: {ex.Message}");
            }
            // an incremental file alone is never applied as if it were a full backup
            if (files.Length > 1)
            {
                string alone = StoreDigest.Of(store);
                try
                {
                    store.Restore(mutated[1], new RestoreOptions { Encryption = secret, MaxValueBytes = 1 << 20 });
                    tally.Fail(ref tally.Wrong, $"{what}: an incremental file restored as a full backup");
                    Reset();
                }
                catch (Exception ex) when (ex is SkvBackupException or ArgumentException)
                {
                    if (StoreDigest.Of(store) != alone) tally.Fail(ref tally.Wrong, $"{what}: a refused incremental changed the store");
                }
                catch (Exception ex)
                {
                    tally.Fail(ref tally.Unexpected, $"alone {what}: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }

        byte[][] With(int file, byte[] content)
        {
            var files = (byte[][])valid.Clone();
            files[file] = content;
            return files;
        }

        // every truncation of every file (each file of the chain in turn)
        int step = profile.Name == "full" ? 1 : 7;
        for (int f = 0; f < valid.Length; f++)
            for (int cut = 0; cut < valid[f].Length; cut += step)
                Attempt($"file {f} cut at {cut}", With(f, valid[f][..cut]), cut % 2 == 0 ? RestoreMode.Merge : RestoreMode.Replace);

        // generated mutations: flipped bytes, inserted bytes, a chunk moved, files dropped, swapped or repeated
        var gen = Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Int[0, int.MaxValue], Gen.Int[1, 255], Gen.Bool);
        try
        {
            gen.Sample((kind, f, pos, b, replace) =>
            {
                byte[] src = valid[f];
                int at = pos % src.Length;
                byte[][] files = kind switch
                {
                    0 => With(f, Flip(src, at, (byte)b)),
                    1 => With(f, [.. src[..at], (byte)b, .. src[at..]]),
                    2 => With(f, MoveBlock(src, at, 1040)),
                    3 => [valid[0], valid[2]],                 // a link missing
                    4 => [valid[0], valid[2], valid[1]],       // out of order
                    _ => [valid[0], valid[1], valid[1]],       // a file twice
                };
                Attempt($"mutation {kind} of file {f} at {at} ({b})", files, replace ? RestoreMode.Replace : RestoreMode.Merge);
            }, iter: profile.Name == "full" ? 10_000 : 600, threads: 1, seed: profile.Name == "full" ? null : "0N0XIzNsQ0O2");
        }
        catch (Exception ex)
        {
            tally.Fail(ref tally.Unexpected, "CsCheck: " + ex.Message);
        }

        // a wrong key: refused before anything is written
        var wrong = BackupEncryption.FromKey(new byte[32]);
        string beforeWrong = StoreDigest.Of(store);
        try
        {
            SkvBackup.Restore(store, originals, new RestoreOptions { Encryption = wrong, Mode = RestoreMode.Replace });
            tally.Fail(ref tally.Wrong, "a wrong key restored");
        }
        catch (SkvBackupException) { if (StoreDigest.Of(store) != beforeWrong) tally.Fail(ref tally.Wrong, "a wrong key changed the store"); }
        if (StoreDigest.Of(store) != reference) tally.Fail(ref tally.Wrong, "the store does not end in its reference state");

        return tally.Result($"rejected {rejected}, accepted {accepted} (harmless mutations, e.g. JSON whitespace)");
    }

    /// <summary>full.json, 1.json (gzip), 2.json.zst (zstd), all encrypted with one key (a chain is read with one secret), with puts and deletes.</summary>
    private static string[] MakeChain(string dir, BackupEncryption secret)
    {
        using var source = SkvStore.Open(Path.Combine(dir, "chain-source.skv"), new SkvOptions { Durability = SkvDurability.None });
        for (int i = 0; i < 60; i++) source.Put($"user:{i:D3}", $"value {i} é ✓ " + new string('x', i * 5));
        source.Put(new byte[] { 0xC0, 0x01 }, new byte[] { 0xFF, 0x00 });
        string full = Path.Combine(dir, "full.json"), one = Path.Combine(dir, "1.json"), two = Path.Combine(dir, "2.json.zst");
        source.Backup(full, new BackupOptions { Encryption = secret });
        for (int i = 0; i < 60; i += 7) source.Delete($"user:{i:D3}");
        source.Put("user:005", "changed on day 1");
        source.Backup(one, new BackupOptions { IncrementalBase = full, Encryption = secret, Gzip = true });
        source.Put("added:2", Encoding.UTF8.GetString(new byte[] { 0x41, 0x42 }));
        source.Delete(new byte[] { 0xC0, 0x01 });
        source.Backup(two, new BackupOptions { IncrementalBase = one, Encryption = secret });
        return [full, one, two];
    }

    private static byte[] Flip(byte[] src, int pos, byte with)
    {
        var copy = (byte[])src.Clone();
        copy[pos] ^= with;
        return copy;
    }

    /// <summary>Moves a block of <paramref name="size"/> bytes at <paramref name="at"/> to the end (for an encrypted file: chunks reordered).</summary>
    private static byte[] MoveBlock(byte[] src, int at, int size)
    {
        int n = Math.Min(size, src.Length - at);
        return [.. src[..at], .. src[(at + n)..], .. src[at..(at + n)]];
    }
}
