using System.Text;
using TypedSkv.Tests;

namespace TypedSkv.Reliability;

/// <summary>Crash, damage and concurrency cases against the engine. Each returns counts; all but iterations must be zero.</summary>
public static class EngineCases
{
    /// <summary>1. Truncate the file at every byte offset of its last records (and of a batch): only the cut ones may go.</summary>
    public static CaseResult TornWrites(Profile profile, string dir)
    {
        var tally = new Tally("1. torn writes (truncate at every byte of the last records)");
        string path = Path.Combine(dir, "torn.skv");
        var rnd = new Random(profile.Seed);
        var model = new Dictionary<string, string>();
        var states = new List<(long End, Dictionary<string, string> State)>();
        using (var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None }))
        {
            store.Flush(durable: false);
            states.Add((new FileInfo(path).Length, new(model)));
            int ops = 100 + profile.TornRecords;
            for (int i = 0; i < ops; i++)
            {
                if (i == ops - profile.TornRecords / 2 - 1)
                {
                    var batch = new SkvWriteBatch();
                    for (int b = 0; b < 8; b++) { string bk = $"batch{b}"; string bv = $"batch-{i}-{b}"; batch.Put(bk, bv); model[bk] = bv; }
                    batch.Delete("k1");
                    model.Remove("k1");
                    store.Write(batch);
                }
                else
                {
                    string k = "k" + rnd.Next(30);
                    string v = $"{k}={i}:" + new string('v', rnd.Next(0, 150));
                    store.Put(k, v);
                    model[k] = v;
                }
                store.Flush(durable: false);
                states.Add((new FileInfo(path).Length, new(model)));
            }
        }
        byte[] full = File.ReadAllBytes(path);
        long from = states[^(profile.TornRecords + 2)].End;
        for (long cut = from; cut <= full.Length; cut++)
        {
            tally.Iterations++;
            File.WriteAllBytes(path, full.AsSpan(0, (int)cut).ToArray());
            var expected = states.Last(s => s.End <= cut).State;
            try
            {
                using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None });
                var actual = StoreDigest.Text(store);
                foreach (var (k, v) in expected)
                {
                    if (!actual.TryGetValue(k, out var got)) tally.Fail(ref tally.Lost, $"cut {cut}: {k} missing");
                    else if (got != v) tally.Fail(ref tally.Wrong, $"cut {cut}: {k} = {got}, expected {v}");
                }
                foreach (var k in actual.Keys.Except(expected.Keys)) tally.Fail(ref tally.Wrong, $"cut {cut}: {k} should not exist");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"cut {cut}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        return tally.Result($"last {profile.TornRecords + 1} operations incl. a 9-op batch");
    }

    /// <summary>2. Flip single bits and bytes at random offsets: detected, or harmless; never a value that was not written.</summary>
    public static CaseResult Corruption(Profile profile, string dir)
    {
        var tally = new Tally("2. corruption (random bit and byte flips)");
        string path = Path.Combine(dir, "flip.skv");
        var rnd = new Random(profile.Seed + 2);
        var model = new Dictionary<string, string>();
        var written = new Dictionary<string, HashSet<string>>();
        var lastWriteEnd = new Dictionary<string, long>();
        using (var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 300; i++)
            {
                string k = "key" + rnd.Next(120);
                if (rnd.Next(8) == 0 && model.Remove(k)) store.Delete(k);
                else
                {
                    string v = $"{k}:{i}:" + new string((char)('a' + i % 26), rnd.Next(0, 100));
                    store.Put(k, v);
                    model[k] = v;
                    (written.TryGetValue(k, out var set) ? set : written[k] = []).Add(v);
                }
                store.Flush(durable: false);
                lastWriteEnd[k] = new FileInfo(path).Length;
            }
        }
        byte[] original = File.ReadAllBytes(path);
        long detectedAtOpen = 0, detectedOnRead = 0, truncated = 0, harmless = 0;
        for (int i = 0; i < profile.Flips; i++)
        {
            tally.Iterations++;
            byte[] damaged = (byte[])original.Clone();
            int at = rnd.Next(damaged.Length);
            if (rnd.Next(2) == 0) damaged[at] ^= (byte)(1 << rnd.Next(8));
            else damaged[at] = (byte)(damaged[at] ^ (1 + rnd.Next(255)));
            File.WriteAllBytes(path, damaged);
            try
            {
                using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None });
                long cutAt = store.Recovery.Repaired ? original.Length - store.Recovery.TruncatedBytes : long.MaxValue;
                if (store.Recovery.Repaired) truncated++;
                bool sawDamage = false;
                foreach (var k in written.Keys.Union(model.Keys))
                {
                    try
                    {
                        bool has = store.TryGet(k, out string? got);
                        bool expectedHas = model.TryGetValue(k, out var want);
                        bool tailAffected = lastWriteEnd[k] > cutAt;
                        if (has && !written.GetValueOrDefault(k, []).Contains(got!))
                            tally.Fail(ref tally.Wrong, $"flip at {at}: {k} returned a value never written: {got}");
                        else if (has && got != want && !tailAffected)
                            tally.Fail(ref tally.Wrong, $"flip at {at}: {k} returned an old value");
                        else if (!has && expectedHas && !tailAffected)
                            tally.Fail(ref tally.Lost, $"flip at {at}: {k} missing");
                    }
                    catch (SkvCorruptionException ex)
                    {
                        sawDamage = true;
                        if (!ex.Message.Contains(path) || ex.Offset <= 0) tally.Fail(ref tally.Unexpected, "message without path/offset: " + ex.Message);
                    }
                }
                foreach (var e in store.Scan())
                    if (!written.ContainsKey(e.KeyString)) tally.Fail(ref tally.Wrong, $"flip at {at}: phantom key {e}");
                if (sawDamage) detectedOnRead++;
                else if (!store.Recovery.Repaired) harmless++;
            }
            catch (SkvCorruptionException ex)
            {
                detectedAtOpen++;
                if (!ex.Message.Contains(path) || ex.Offset < 32) tally.Fail(ref tally.Unexpected, "message without path/offset: " + ex.Message);
            }
            catch (SkvFormatException)
            {
                detectedAtOpen++; // the file header
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"flip at {at}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        return tally.Result($"refused at open {detectedAtOpen}, detected on read {detectedOnRead}, tail cut {truncated}, harmless {harmless}");
    }

    /// <summary>3. SIGKILL a durable writer at random moments: nothing it acknowledged may be lost.</summary>
    public static CaseResult KillDuringWrites(Profile profile, string dir)
    {
        var tally = new Tally("3a. SIGKILL during durable puts");
        var rnd = new Random(profile.Seed + 3);
        string path = Path.Combine(dir, "kill.skv");
        long acked = 0;
        for (int kill = 0; kill < profile.Kills; kill++)
        {
            tally.Iterations++;
            if (File.Exists(path)) File.Delete(path);
            int lastAcked = -1;
            using (var child = new ChildProcess("puts", path))
            {
                var deadline = DateTime.UtcNow.AddMilliseconds(rnd.Next(20, 400));
                while (child.ReadLine() is { } line)
                {
                    lastAcked = int.Parse(line["acked ".Length..]);
                    if (DateTime.UtcNow >= deadline) break;
                }
                child.Kill();
            }
            acked += lastAcked + 1;
            try
            {
                using var store = SkvStore.Open(path);
                for (int i = 0; i <= lastAcked; i++)
                {
                    if (!store.TryGet($"k{i:D8}", out string? v)) tally.Fail(ref tally.Lost, $"kill {kill}: k{i} acknowledged then lost");
                    else if (v != $"v{i}") tally.Fail(ref tally.Wrong, $"kill {kill}: k{i} = {v}");
                }
                foreach (var e in store.Scan())
                    if (e.GetValueString() != "v" + int.Parse(e.KeyString[1..])) tally.Fail(ref tally.Wrong, $"kill {kill}: {e} has a wrong value");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"kill {kill}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        // a child that never acknowledged anything would make every check above vacuous
        if (acked == 0) tally.Fail(ref tally.Unexpected, "the writer process acknowledged no put before any kill");
        return tally.Result($"{acked} acknowledged puts checked");
    }

    /// <summary>3b. SIGKILL during Compact: the store is the old or the new file, complete either way.</summary>
    public static CaseResult KillDuringCompaction(Profile profile, string dir)
    {
        var tally = new Tally("3b. SIGKILL during compaction");
        var rnd = new Random(profile.Seed + 4);
        string path = Path.Combine(dir, "compact-kill.skv");
        const int keys = 2000;
        for (int kill = 0; kill < profile.CompactionKills; kill++)
        {
            tally.Iterations++;
            if (File.Exists(path)) File.Delete(path);
            int lastAcked = -1;
            using (var child = new ChildProcess("compact-loop", path, keys.ToString()))
            {
                int target = rnd.Next(1, 4);
                while (child.ReadLine() is { } line)
                {
                    if (line.StartsWith("acked ")) lastAcked = int.Parse(line["acked ".Length..]);
                    if (lastAcked >= target) break;
                }
                Thread.Sleep(rnd.Next(0, 60)); // somewhere inside the compaction that follows
                child.Kill();
            }
            try
            {
                using var store = SkvStore.Open(path);
                if (File.Exists(path + ".compact")) tally.Fail(ref tally.Unexpected, "scratch file left after open");
                int round = -1;
                foreach (var e in store.Scan())
                {
                    string v = e.GetValueString();
                    int r = int.Parse(v.Split(':')[1]["round".Length..]);
                    if (!v.StartsWith(e.KeyString + ":", StringComparison.Ordinal)) tally.Fail(ref tally.Wrong, $"{e} = {v}");
                    if (round < 0) round = r;
                    else if (r != round) tally.Fail(ref tally.Wrong, $"kill {kill}: mixed rounds {round} and {r}");
                }
                if (store.Count != keys) tally.Fail(ref tally.Lost, $"kill {kill}: {store.Count} keys, expected {keys}");
                if (round < lastAcked) tally.Fail(ref tally.Lost, $"kill {kill}: round {round} but {lastAcked} was acknowledged");
            }
            catch (Exception ex)
            {
                tally.Fail(ref tally.Unexpected, $"kill {kill}: {ex.GetType().Name}: {ex.Message}");
            }
        }
        return tally.Result($"{keys} keys rewritten per round");
    }

    /// <summary>5. One writer, 8 readers, repeated compactions and snapshot scans; a second writer process is refused.</summary>
    public static CaseResult Concurrency(Profile profile, string dir)
    {
        var tally = new Tally("5. concurrency (1 writer, 8 readers, compaction, snapshots, backups)");
        string path = Path.Combine(dir, "concurrency.skv");
        const int keys = 500;
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None, WriteBufferSize = 16 * 1024 });
        for (int k = 0; k < keys; k++) store.Put($"k{k:D4}", $"k{k:D4}|0|");
        var stop = DateTime.UtcNow + profile.ConcurrencyDuration;
        long compactions = 0, snapshots = 0;

        var readers = Enumerable.Range(0, 8).Select(r => new Thread(() =>
        {
            var rnd = new Random(r);
            var seen = new int[keys];
            while (DateTime.UtcNow < stop)
            {
                try
                {
                    int k = rnd.Next(keys);
                    string v = store.GetString($"k{k:D4}");
                    var parts = v.Split('|');
                    int gen = int.Parse(parts[1]);
                    if (parts[0] != $"k{k:D4}") tally.Fail(ref tally.Wrong, $"k{k} -> {v}");
                    if (gen < seen[k]) tally.Fail(ref tally.Wrong, $"k{k} went back from generation {seen[k]} to {gen}");
                    seen[k] = gen;
                    Interlocked.Increment(ref tally.Iterations);
                    if (rnd.Next(200) == 0)
                    {
                        using var snap = store.GetSnapshot();
                        long n = snap.Scan().Count(e => e.GetValue().Length > 0);
                        if (n != snap.Count || n != keys) tally.Fail(ref tally.Wrong, $"snapshot count {snap.Count}, scanned {n}");
                        Interlocked.Increment(ref snapshots);
                    }
                }
                catch (Exception ex)
                {
                    tally.Fail(ref tally.Unexpected, $"reader: {ex.GetType().Name}: {ex.Message}");
                }
            }
        })).ToList();
        var writer = new Thread(() =>
        {
            var rnd = new Random(99);
            for (int gen = 1; DateTime.UtcNow < stop; gen++)
            {
                try
                {
                    for (int i = 0; i < 50; i++)
                    {
                        int k = rnd.Next(keys);
                        store.Put($"k{k:D4}", $"k{k:D4}|{gen}|" + new string('.', rnd.Next(100)));
                    }
                    if (gen % 100 == 0) { store.Compact(); compactions++; }
                }
                catch (Exception ex)
                {
                    tally.Fail(ref tally.Unexpected, $"writer: {ex.GetType().Name}: {ex.Message}");
                }
            }
        });
        readers.Add(writer);
        long backups = 0;
        readers.Add(new Thread(() =>
        {
            string file = Path.Combine(dir, "concurrent-backup.json");
            while (DateTime.UtcNow < stop)
            {
                try
                {
                    var result = store.Backup(file);
                    var report = SkvBackup.Verify(file);
                    if (!report.Ok || report.Records != keys || result.Records != keys)
                        tally.Fail(ref tally.Wrong, $"backup during writes: {report.Records} records, ok={report.Ok}");
                    backups++;
                    Thread.Sleep(200);
                }
                catch (Exception ex)
                {
                    tally.Fail(ref tally.Unexpected, $"backup: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }));
        readers.ForEach(t => t.Start());

        // a second writer process must be refused while this one runs
        var (code, output) = ChildProcess.Run("try-open", path);
        if (code != 3) tally.Fail(ref tally.Unexpected, $"second writer process was not refused: {output}");
        readers.ForEach(t => t.Join());
        return tally.Result($"{compactions} compactions, {snapshots} snapshot scans, {backups} verified backups, second writer refused");
    }
}

public static class RollbackCases
{
    /// <summary>
    /// 6. One writer commits and rolls back transactions of random sizes (half of them rolled back, compacting now
    /// and then) while two other processes open the store read-only again and again: every open must see a committed
    /// prefix (all anchors, no phantom, the pair equal), with no false corruption and no unexpected exception type.
    /// </summary>
    public static CaseResult ReadOnlyOpensBesideRollbacks(Profile profile, string dir)
    {
        var tally = new Tally("6. read-only opens beside rollbacks");
        var rnd = new Random(profile.Seed + 6);
        string path = Path.Combine(dir, "rollback.skv");
        const int anchors = 2000;
        // a small checkpoint threshold: index checkpoints are written (and used by the readers) all through the run
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Flush, WriteBufferSize = 4096, CheckpointThreshold = 1500 });
        using (var tx = store.BeginTransaction())
        {
            for (int i = 0; i < anchors; i++) tx.Put($"a{i:D4}", $"a{i:D4}=0");
            tx.Put("pair-a", "0");
            tx.Put("pair-b", "0");
            tx.Commit();
        }
        double seconds = profile.ConcurrencyDuration.TotalSeconds;
        var readers = Enumerable.Range(0, 2)
            .Select(_ => new ChildProcess("ro-opens", path, anchors.ToString(), seconds.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            .ToArray();
        long committed = 0, rolledBack = 0, compactions = 0;
        var until = DateTime.UtcNow + profile.ConcurrencyDuration;
        try
        {
            for (long gen = 1; DateTime.UtcNow < until; gen++)
            {
                bool rollback = rnd.Next(2) == 0;
                int size = rnd.Next(1, 400);
                using var tx = store.BeginTransaction();
                if (rollback)
                {
                    // deletes anchors and writes phantoms: none of it may ever be seen
                    for (int i = 0; i < size; i++)
                    {
                        if (rnd.Next(2) == 0) tx.Delete($"a{rnd.Next(anchors):D4}");
                        else tx.Put($"p{rnd.Next(100_000):D6}", $"p=phantom{gen}" + new string('p', rnd.Next(200)));
                    }
                    tx.Put("pair-a", "rolled back " + gen);
                    tx.Dispose();
                    rolledBack++;
                }
                else
                {
                    for (int i = 0; i < size; i++)
                    {
                        string key = $"x{rnd.Next(5000):D4}";
                        if (rnd.Next(4) == 0) tx.Delete(key);
                        else tx.Put(key, $"{key}={gen}" + new string('x', rnd.Next(300)));
                    }
                    string anchor = $"a{rnd.Next(anchors):D4}";
                    if (rnd.Next(3) == 0) tx.Put(anchor, $"{anchor}={gen}"); // committed overwrites, never deletes
                    tx.Put("pair-a", gen.ToString());
                    tx.Put("pair-b", gen.ToString());
                    tx.Commit();
                    committed++;
                }
                if (gen % 300 == 0)
                {
                    store.Compact();
                    compactions++;
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                string? line = reader.ReadLine(TimeSpan.FromSeconds(seconds + 120));
                tally.Iterations += ParseReader(line, tally);
                reader.Dispose();
            }
        }
        if (committed == 0 || rolledBack == 0) tally.Fail(ref tally.Unexpected, "the writer did not both commit and roll back");
        return tally.Result($"{tally.Iterations:N0} read-only opens (iterations) beside {committed:N0} commits, {rolledBack:N0} rollbacks, {compactions} compactions");
    }

    private static long ParseReader(string? line, Tally tally)
    {
        // "opens N violations V corruption C unexpected U first ..."
        if (line is null)
        {
            tally.Fail(ref tally.Unexpected, "a reader process printed nothing");
            return 0;
        }
        var parts = line.Split(' ');
        long opens = long.Parse(parts[1]), violations = long.Parse(parts[3]), corruption = long.Parse(parts[5]), unexpected = long.Parse(parts[7]);
        string first = string.Join(' ', parts.Skip(9));
        for (long i = 0; i < violations; i++) tally.Fail(ref tally.Wrong, first);
        for (long i = 0; i < corruption + unexpected; i++) tally.Fail(ref tally.Unexpected, first);
        if (opens == 0) tally.Fail(ref tally.Unexpected, "a reader process opened nothing");
        return opens;
    }
}
