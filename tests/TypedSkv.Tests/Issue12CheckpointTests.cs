using System.Buffers.Binary;
using System.IO.Hashing;
using TypedSkv.Storage;

namespace TypedSkv.Tests;

/// <summary>
/// Issue 12: the index checkpoint. It is derived data: whatever happened to it (missing, stale, damaged anywhere,
/// another file's, another format's), opening gives exactly the data the log holds.
/// </summary>
public sealed class Issue12CheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");
    private string IdxPath => DbPath + Checkpoint.Suffix;

    public void Dispose() => _dir.Dispose();

    private static readonly SkvOptions Small = new() { Durability = SkvDurability.None, CheckpointThreshold = 500 };

    /// <summary>Writes a store with several checkpoints behind it; returns what it must hold.</summary>
    private Dictionary<string, string> Fill(int keys = 6000, int seed = 1)
    {
        var rnd = new Random(seed);
        var expected = new Dictionary<string, string>();
        using var store = SkvStore.Open(DbPath, Small);
        for (int i = 0; i < keys; i++)
        {
            // hash-like keys in random order, overwrites and deletes among them
            string key = Convert.ToHexStringLower(XxHash3.Hash(BitConverter.GetBytes(rnd.Next(keys))));
            int op = rnd.Next(10);
            if (op == 0)
            {
                store.Delete(key);
                expected.Remove(key);
            }
            else
            {
                string value = $"{key}={i}" + new string('v', rnd.Next(60));
                store.Put(key, value);
                expected[key] = value;
            }
            if (i % 1500 == 0) store.WaitForCheckpoint();
        }
        store.WaitForCheckpoint();
        Assert.Null(store.LastCheckpointError);
        return expected;
    }

    private static void AssertHolds(SkvStore store, Dictionary<string, string> expected)
    {
        Assert.Equal(expected.Count, store.Count);
        Assert.Equal(expected.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value)),
            store.Scan().Select(e => (e.KeyString, e.GetValueString())));
        foreach (var (k, v) in expected) Assert.Equal(v, store.GetString(k));
    }

    private SkvStats ReferenceStats()
    {
        using var reference = SkvStore.OpenReadOnly(DbPath, verifyWholeLog: true);
        Assert.False(reference.UsedCheckpoint);
        return reference.GetStats();
    }

    [Fact]
    public void A_reopen_uses_the_checkpoint_and_gives_exactly_the_logs_data_and_figures()
    {
        var expected = Fill();
        Assert.True(File.Exists(IdxPath));
        var reference = ReferenceStats();
        using (var ro = SkvStore.OpenReadOnly(DbPath))
        {
            Assert.True(ro.UsedCheckpoint, ro.CheckpointNote);
            AssertHolds(ro, expected);
            Assert.Equal(reference, ro.GetStats());
        }
        using var rw = SkvStore.Open(DbPath, Small);
        Assert.True(rw.UsedCheckpoint, rw.CheckpointNote);
        AssertHolds(rw, expected);
        Assert.Equal(reference, rw.GetStats());
        // prefix and range scans merge the overlay with the checkpoint
        rw.Put("zz-new", "zz-new=1");
        Assert.Equal(["zz-new"], rw.ScanPrefix("zz").Select(e => e.KeyString));
        string some = expected.Keys.Order(StringComparer.Ordinal).Skip(100).First();
        Assert.True(rw.Delete(some));
        Assert.False(rw.ContainsKey(some));
        Assert.Equal(expected.Count, rw.Count); // one added, one deleted
    }

    [Fact]
    public void A_missing_checkpoint_means_a_full_replay_with_the_same_data()
    {
        var expected = Fill();
        File.Delete(IdxPath);
        using var store = SkvStore.Open(DbPath, Small);
        Assert.False(store.UsedCheckpoint);
        Assert.Contains("no index checkpoint", store.CheckpointNote);
        AssertHolds(store, expected);
    }

    [Fact]
    public void An_older_checkpoint_is_used_with_the_log_after_it_replayed()
    {
        var expected = Fill();
        byte[] older = File.ReadAllBytes(IdxPath);
        using (var store = SkvStore.Open(DbPath, Small with { CheckpointThreshold = 1_000_000 }))
        {
            for (int i = 0; i < 300; i++)
            {
                store.Put($"later{i:D3}", $"later{i:D3}=x");
                expected[$"later{i:D3}"] = $"later{i:D3}=x";
            }
        }
        File.WriteAllBytes(IdxPath, older);
        using var reopened = SkvStore.Open(DbPath, Small);
        Assert.True(reopened.UsedCheckpoint);
        AssertHolds(reopened, expected);
    }

    [Fact]
    public void A_checkpoint_of_an_earlier_file_generation_or_of_another_store_is_refused()
    {
        var expected = Fill();
        byte[] beforeCompaction = File.ReadAllBytes(IdxPath);
        using (var store = SkvStore.Open(DbPath, Small)) store.Compact();
        File.WriteAllBytes(IdxPath, beforeCompaction);
        using (var store = SkvStore.Open(DbPath, Small))
        {
            Assert.False(store.UsedCheckpoint);
            AssertHolds(store, expected);
        }

        string other = _dir.File("other.skv");
        using (var o = SkvStore.Open(other, Small))
            for (int i = 0; i < 2000; i++) o.Put($"o{i}", "x");
        File.Copy(other + Checkpoint.Suffix, IdxPath, overwrite: true);
        using var again = SkvStore.Open(DbPath, Small);
        Assert.False(again.UsedCheckpoint);
        Assert.Contains("another data file", again.CheckpointNote);
        AssertHolds(again, expected);
    }

    [Fact]
    public void A_checkpoint_of_another_format_version_is_refused()
    {
        var expected = Fill();
        byte[] bytes = File.ReadAllBytes(IdxPath);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), 99);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(Checkpoint.PageSize - 8), XxHash3.HashToUInt64(bytes.AsSpan(0, Checkpoint.PageSize - 8)));
        File.WriteAllBytes(IdxPath, bytes);
        using var store = SkvStore.OpenReadOnly(DbPath);
        Assert.False(store.UsedCheckpoint);
        Assert.Contains("format version", store.CheckpointNote);
        AssertHolds(store, expected);
    }

    [Fact]
    public void Damage_in_any_page_of_the_checkpoint_never_gives_a_wrong_answer()
    {
        var expected = Fill(keys: 3000);
        byte[] good = File.ReadAllBytes(IdxPath);
        int pages = (good.Length + Checkpoint.PageSize - 1) / Checkpoint.PageSize;
        Assert.True(pages >= 4, $"{pages} pages");
        var rnd = new Random(7);
        for (int page = 0; page < pages; page++)
        {
            byte[] damaged = (byte[])good.Clone();
            int at = page * Checkpoint.PageSize + rnd.Next(Math.Min(Checkpoint.PageSize, good.Length - page * Checkpoint.PageSize));
            damaged[at] ^= 0x5A;
            File.WriteAllBytes(IdxPath, damaged);
            using var store = SkvStore.OpenReadOnly(DbPath);
            AssertHolds(store, expected);
            // every byte is under a checksum: the damage was seen, at open (refused) or by the reads (fell back to the log)
            Assert.True(!store.UsedCheckpoint || store.CheckpointFellBackToLog, $"damage at byte {at} (page {page}) went unnoticed");
        }
    }

    [Fact]
    public async Task Checkpoints_in_the_background_never_show_readers_a_wrong_or_missing_value()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200 });
        const int keys = 1000;
        for (int k = 0; k < keys; k++) store.Put($"k{k:D4}", $"k{k:D4}=0");
        using var stop = new CancellationTokenSource();
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var rnd = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                string key = $"k{rnd.Next(keys):D4}";
                if (!store.TryGet(key, out string? v) || !v.StartsWith(key + "=", StringComparison.Ordinal)) errors.Enqueue($"{key} -> {v}");
                if (rnd.Next(50) == 0 && store.Scan().Count() != keys) errors.Enqueue("scan count");
            }
        })).ToArray();
        for (int gen = 1; gen <= 20; gen++)
        {
            for (int k = 0; k < keys; k += 3) store.Put($"k{k:D4}", $"k{k:D4}={gen}");
            if (gen % 7 == 0) store.Compact();
        }
        store.WaitForCheckpoint();
        stop.Cancel();
        await Task.WhenAll(readers);
        Assert.Empty(errors);
        Assert.Null(store.LastCheckpointError);
        using var reader = SkvStore.OpenReadOnly(DbPath); // the checkpoints written meanwhile are valid ones
        Assert.True(reader.UsedCheckpoint, reader.CheckpointNote);
        Assert.Equal(keys, reader.Count);
    }

    [Fact]
    public void A_clear_during_pending_checkpoints_and_a_reopen_keep_only_what_followed_it()
    {
        using (var store = SkvStore.Open(DbPath, Small))
        {
            for (int i = 0; i < 3000; i++) store.Put($"a{i}", "x");
            store.WaitForCheckpoint();
            store.Clear();
            for (int i = 0; i < 10; i++) store.Put($"b{i}", "y");
            Assert.Equal(10, store.Count);
        }
        using var reopened = SkvStore.Open(DbPath, Small);
        Assert.Equal(10, reopened.Count);
        Assert.All(reopened.Scan(), e => Assert.StartsWith("b", e.KeyString));
    }

    [Fact]
    public void A_writer_killed_while_it_writes_checkpoints_loses_no_acknowledged_put()
    {
        var rnd = new Random(12);
        for (int kill = 0; kill < 4; kill++)
        {
            int lastAcked = -1;
            using (var child = new ChildProcess("puts-checkpointing", DbPath))
            {
                int stopAfter = rnd.Next(800, 4000);
                while (child.ReadLine() is { } line)
                {
                    lastAcked = int.Parse(line["acked ".Length..]);
                    if (lastAcked >= stopAfter) break;
                }
                child.Kill();
            }
            using var store = SkvStore.Open(DbPath);
            for (int i = 0; i <= lastAcked; i++)
                Assert.True(store.TryGet($"k{i:D8}", out string? v) && v == $"v{i}", $"kill {kill}: k{i} lost or wrong");
            store.Dispose();
            File.Delete(DbPath);
            foreach (var f in Directory.GetFiles(_dir.Path)) File.Delete(f);
        }
    }

    // ---------------------------------------------------------------- review regressions

    [Fact]
    public void The_compacted_files_checkpoint_is_refused_beside_the_old_file_even_when_their_tails_hash_alike()
    {
        // compaction kept the old header, so only the tail hash told the files apart, and a large uniform value made the
        // tails equal: a crash between the checkpoint's rename and the data file's gave back an overwritten value
        using (var store = SkvStore.Open(DbPath, Small))
        {
            store.Put("a", "old-value");
            store.Put("a", "new-value");
            store.Put("b", new byte[200_000]);
        }
        string oldCopy = _dir.File("old.skv");
        File.Copy(DbPath, oldCopy);
        using (var store = SkvStore.Open(DbPath, Small)) store.Compact();
        File.Copy(oldCopy, DbPath, overwrite: true);
        using var reopened = SkvStore.OpenReadOnly(DbPath);
        Assert.False(reopened.UsedCheckpoint);
        Assert.Equal("new-value", reopened.GetString("a"));
        Assert.Equal(200_000, reopened.Get("b").Length);
    }

    [Fact]
    public void A_background_checkpoint_of_the_file_a_compaction_replaced_does_not_overwrite_the_new_files()
    {
        for (int round = 0; round < 5; round++)
        {
            using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200 }))
            {
                for (int i = 0; i < 199; i++) store.Put($"r{round}k{i}", "v");
                store.WaitForCheckpoint();
                store.Put($"r{round}last", "v"); // crosses the threshold: a background checkpoint of this file starts
                store.Compact();
                store.WaitForCheckpoint();
            }
            using var reopened = SkvStore.OpenReadOnly(DbPath);
            Assert.True(reopened.UsedCheckpoint, $"round {round}: {reopened.CheckpointNote}");
        }
    }

    [Fact]
    public void Enumerating_a_disposed_snapshot_past_a_checkpoint_block_is_an_ObjectDisposedException_not_a_crash()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200 });
        for (int i = 0; i < 5000; i++) store.Put($"k{i:D5}", "v");
        store.WaitForCheckpoint();
        for (int position = 176; position < 196; position++) // around the end of the first block (about 185 keys)
        {
            var snapshot = store.GetSnapshot();
            using var scan = snapshot.Scan().GetEnumerator();
            for (int i = 0; i <= position; i++) Assert.True(scan.MoveNext());
            snapshot.Dispose();
            for (int i = 0; i < 300; i++) store.Put($"n{position}-{i}", "v"); // the checkpoint is replaced meanwhile
            store.WaitForCheckpoint();
            Assert.Throws<ObjectDisposedException>(() => scan.MoveNext());
        }
    }

    [Fact]
    public void A_checkpoint_dropped_by_a_Clear_in_the_replayed_log_is_unmapped()
    {
        using (var store = SkvStore.Open(DbPath, Small))
        {
            for (int i = 0; i < 1000; i++) store.Put($"k{i}", "v");
            store.WaitForCheckpoint();
            store.Clear();
            store.Put("after", "1");
        }
        for (int i = 0; i < 20; i++)
        {
            using var ro = SkvStore.OpenReadOnly(DbPath);
            Assert.Equal(1, ro.Count);
        }
        string fullIdx = Path.GetFullPath(IdxPath);
        Assert.DoesNotContain(File.ReadLines("/proc/self/maps"), line => line.EndsWith(fullIdx, StringComparison.Ordinal));
    }
}
