using System.IO.Compression;
using System.Text;
using CsCheck;
using TypedSkv.Tests;

namespace TypedSkv.Reliability;

/// <summary>
/// 4. Hostile backup files: generated malformed inputs (CsCheck) against Restore and Verify. A restore either succeeds
/// or throws <see cref="SkvBackupException"/>, and a failed restore leaves the store exactly as it was.
/// </summary>
public static class HostileBackupCases
{
    private static readonly string[] Replacements =
    [
        "123", "-5", "true", "null", "[]", "{}", "\"!!!not base64!!!\"", "\"\\x41\"", "\"\\ud800\"", "1e999999",
        "99999999999999999999999", "-1", "\"\"", "\"2.0\"", "\"0.9\"", "\"" + new string('9', 400) + "\"",
        new string('[', 2000) + new string(']', 2000), "{\"a\":" + new string('[', 100) + new string(']', 100) + "}",
    ];

    public static CaseResult Run(Profile profile, string dir)
    {
        var tally = new Tally("4. hostile backups (generated malformed files)");
        string storePath = Path.Combine(dir, "hostile.skv");
        using var store = SkvStore.Open(storePath, new SkvOptions { Durability = SkvDurability.None });
        byte[] valid = MakeValidBackup(dir);
        store.Put("pre-existing", "must survive every failed restore");
        store.Put(new byte[] { 0xFF, 0x00 }, new byte[] { 1, 2, 3 });
        long rejected = 0, accepted = 0;
        long peakHeap = 0;

        void Attempt(string what, byte[] content, RestoreMode mode)
        {
            Interlocked.Increment(ref tally.Iterations);
            string file = Path.Combine(dir, "hostile.json");
            File.WriteAllBytes(file, content);
            string before = StoreDigest.Of(store);
            try
            {
                var r = store.Restore(file, new RestoreOptions { Mode = mode, MaxValueBytes = 1 << 20 });
                accepted++;
                if (mode == RestoreMode.Replace && store.Count != CountDistinct(file))
                    tally.Fail(ref tally.Wrong, $"{what}: replace restore holds {store.Count} keys");
                // get back to the reference state for the next attempt
                store.Restore(Path.Combine(dir, "reference.json"), new RestoreOptions { Mode = RestoreMode.Replace });
                store.Put("pre-existing", "must survive every failed restore");
                store.Put(new byte[] { 0xFF, 0x00 }, new byte[] { 1, 2, 3 });
            }
            catch (SkvBackupException ex)
            {
                rejected++;
                if (StoreDigest.Of(store) != before) tally.Fail(ref tally.Wrong, $"{what}: failed restore changed the store");
                if (!ex.Message.Contains(file)) tally.Fail(ref tally.Unexpected, $"{what}: message does not name the file: {ex.Message}");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"{what}: {ex.GetType().Name}: {ex.Message}");
            }
            try
            {
                SkvBackup.Verify(file, new VerifyOptions { MaxValueBytes = 1 << 20 });
            }
            catch (SkvBackupException) { }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"verify {what}: {ex.GetType().Name}: {ex.Message}");
            }
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(false));
        }

        // every truncation of the file
        for (int cut = 0; cut < valid.Length; cut += profile.Name == "full" ? 1 : 3)
            Attempt($"truncated at {cut}", valid[..cut], cut % 2 == 0 ? RestoreMode.Merge : RestoreMode.Replace);

        // generated mutations: byte changes, token replacements, invalid UTF-8, gzip damage
        byte[] gz = Gzip(valid);
        var gen = Gen.Select(Gen.Int[0, 5], Gen.Int[0, valid.Length - 1], Gen.Int[0, 255], Gen.Int[0, Replacements.Length - 1], Gen.Bool);
        try
        {
            gen.Sample((kind, pos, b, r, replace) =>
            {
                byte[] content = kind switch
                {
                    0 => Flip(valid, pos, (byte)b),
                    1 => ReplaceToken(valid, pos, Replacements[r]),
                    2 => Insert(valid, pos, [0xC3, 0x28]), // invalid UTF-8
                    3 => gz[..Math.Max(10, pos % gz.Length)],
                    4 => Flip(gz, 10 + pos % (gz.Length - 10), (byte)(b | 1)),
                    _ => [0x1F, 0x8B, .. Encoding.ASCII.GetBytes("garbage after gzip magic " + pos)],
                };
                Attempt($"mutation {kind} at {pos} ({b}, {r})", content, replace ? RestoreMode.Replace : RestoreMode.Merge);
            }, iter: profile.Name == "full" ? 10_000 : 1_000, threads: 1, seed: profile.Name == "full" ? null : "0N0XIzNsQ0O2");
        }
        catch (Exception ex)
        {
            tally.Fail(ref tally.Unexpected, "CsCheck: " + ex.Message);
        }

        // fixed classes: wrong version, count mismatch, duplicates (valid: last wins), a 2 GB string claim
        string text = Encoding.UTF8.GetString(valid);
        Attempt("version 2.0", Encoding.UTF8.GetBytes(text.Replace("\"version\": \"1.0\"", "\"version\": \"2.0\"")), RestoreMode.Merge);
        Attempt("total_records off by one", Encoding.UTF8.GetBytes(text.Replace("\"total_records\": 30", "\"total_records\": 31")), RestoreMode.Replace);
        Attempt("huge string claim", HugeStringClaim(profile.Name == "full" ? 2L << 30 : 64L << 20), RestoreMode.Merge);
        long afterBomb = GC.GetTotalMemory(false);
        if (peakHeap > 256L << 20) tally.Fail(ref tally.Unexpected, $"managed heap reached {peakHeap >> 20} MiB");

        return tally.Result($"rejected {rejected}, accepted {accepted}; peak managed heap {peakHeap >> 20} MiB (after the huge string claim {afterBomb >> 20} MiB)");
    }

    private static byte[] MakeValidBackup(string dir)
    {
        string path = Path.Combine(dir, "source.skv");
        using var source = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None });
        for (int i = 0; i < 25; i++) source.Put($"user:{i}", $"value {i} é ✓");
        for (int i = 0; i < 4; i++) source.Put($"bin:{i}", new byte[] { 0xFF, (byte)i, 0x00, 0x80 });
        source.Put(new byte[] { 0xC0, 0x01 }, "binary key"u8);
        string reference = Path.Combine(dir, "reference.json");
        source.Backup(reference);
        return File.ReadAllBytes(reference);
    }

    private static long CountDistinct(string file)
    {
        var report = SkvBackup.Verify(file);
        return report.Records - report.DuplicateKeys;
    }

    private static byte[] Flip(byte[] src, int pos, byte with)
    {
        var copy = (byte[])src.Clone();
        copy[pos] ^= with == 0 ? (byte)1 : with;
        return copy;
    }

    private static byte[] Insert(byte[] src, int pos, byte[] bytes) => [.. src[..pos], .. bytes, .. src[pos..]];

    /// <summary>Replaces the JSON scalar (string, number or literal) that starts at or after pos.</summary>
    private static byte[] ReplaceToken(byte[] src, int pos, string replacement)
    {
        int start = pos;
        while (start < src.Length && src[start] is not ((byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n')) start++;
        if (start >= src.Length) return Insert(src, pos, Encoding.UTF8.GetBytes(replacement));
        int end = start + 1;
        if (src[start] == '"') { while (end < src.Length && (src[end] != '"' || src[end - 1] == '\\')) end++; end++; }
        else while (end < src.Length && src[end] is not ((byte)',' or (byte)'}' or (byte)']' or (byte)' ' or (byte)'\n')) end++;
        end = Math.Min(end, src.Length);
        return [.. src[..start], .. Encoding.UTF8.GetBytes(replacement), .. src[end..]];
    }

    private static byte[] Gzip(byte[] src)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest)) gz.Write(src);
        return ms.ToArray();
    }

    /// <summary>A small gzip file that expands to a document with one string of <paramref name="length"/> bytes.</summary>
    private static byte[] HugeStringClaim(long length)
    {
        using var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest))
        {
            gz.Write("{\"version\":\"1.0\",\"created_at\":\"2024-12-06T12:00:00Z\",\"total_records\":1,\"records\":[{\"key\":\"k\",\"encoding\":\"text\",\"value\":\""u8);
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'a');
            for (long done = 0; done < length; done += chunk.Length) gz.Write(chunk);
            gz.Write("\"}]}"u8);
        }
        return ms.ToArray();
    }
}

/// <summary>3c/3d. SIGKILL during Restore (the store is wholly old or wholly new) and during Backup (no half file).</summary>
public static class BackupKillCases
{
    private static (string A, string B, string DigestA, string DigestB) MakeBackups(string dir)
    {
        string DigestOf(string file)
        {
            string p = Path.Combine(dir, Path.GetFileNameWithoutExtension(file) + ".check.skv");
            using var s = SkvStore.Open(p, new SkvOptions { Durability = SkvDurability.None });
            s.Restore(file);
            return StoreDigest.Of(s);
        }
        string Make(string name, int keys, string tag)
        {
            string p = Path.Combine(dir, name + ".skv");
            using (var s = SkvStore.Open(p, new SkvOptions { Durability = SkvDurability.None }))
            {
                var tx = s.BeginTransaction();
                for (int i = 0; i < keys; i++) tx.Put(Encoding.UTF8.GetBytes($"{tag}{i:D6}"), Encoding.UTF8.GetBytes(new string(tag[0], 200) + i));
                tx.Commit();
                s.Backup(Path.Combine(dir, name + ".json"));
            }
            return Path.Combine(dir, name + ".json");
        }
        string a = Make("A", 20_000, "a"), b = Make("B", 30_000, "b");
        return (a, b, DigestOf(a), DigestOf(b));
    }

    public static CaseResult KillDuringRestore(Profile profile, string dir)
    {
        var tally = new Tally("3c. SIGKILL during restore (replace mode)");
        var (a, b, digestA, digestB) = MakeBackups(dir);
        var rnd = new Random(profile.Seed + 5);
        string path = Path.Combine(dir, "restore-kill.skv");
        long sawA = 0, sawB = 0, sawEmpty = 0;
        for (int kill = 0; kill < profile.CompactionKills; kill++)
        {
            tally.Iterations++;
            int rounds = -1;
            using (var child = new ChildProcess("restore-loop", path, b, a))
            {
                int target = rnd.Next(0, 3);
                while (child.ReadLine() is { } line)
                {
                    rounds = int.Parse(line["restored ".Length..]);
                    if (rounds >= target) break;
                }
                Thread.Sleep(rnd.Next(0, 150)); // inside the next restore
                child.Kill();
            }
            try
            {
                using var store = SkvStore.Open(path);
                string d = StoreDigest.Of(store);
                if (d == digestA) sawA++;
                else if (d == digestB) sawB++;
                else if (store.Count == 0 && rounds < 0) sawEmpty++;
                else tally.Fail(ref tally.Wrong, $"kill {kill}: the store is neither backup A nor backup B ({store.Count} keys)");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"kill {kill}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        if (sawA + sawB == 0) tally.Fail(ref tally.Unexpected, "no kill landed after a restore had completed: nothing was checked");
        return tally.Result($"after the kill: backup A {sawA} times, backup B {sawB} times, never restored {sawEmpty} times");
    }

    public static CaseResult KillDuringBackup(Profile profile, string dir)
    {
        var tally = new Tally("3d. SIGKILL during backup");
        var (a, _, _, _) = MakeBackups(dir);
        string store = Path.Combine(dir, "A.skv");
        string target = Path.Combine(dir, "live-backup.json");
        var rnd = new Random(profile.Seed + 6);
        long complete = 0, absent = 0;
        for (int kill = 0; kill < profile.CompactionKills; kill++)
        {
            tally.Iterations++;
            if (File.Exists(target)) File.Delete(target);
            using (var child = new ChildProcess("backup-loop", store, target))
            {
                if (kill == 0 || rnd.Next(2) == 0) child.ReadLine(); // the first kill always lands after a backup
                Thread.Sleep(rnd.Next(0, 80));
                child.Kill();
            }
            if (!File.Exists(target)) { absent++; continue; }
            try
            {
                var report = SkvBackup.Verify(target);
                if (!report.Ok || report.Records != 20_000) tally.Fail(ref tally.Wrong, $"kill {kill}: a half backup under the final name ({report.Records} records)");
                else complete++;
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Wrong, $"kill {kill}: the file under the final name is unreadable: {ex.Message}");
            }
        }
        if (complete == 0) tally.Fail(ref tally.Unexpected, "no complete backup was ever found under the final name");
        return tally.Result($"final name held a complete backup {complete} times, nothing {absent} times");
    }
}
