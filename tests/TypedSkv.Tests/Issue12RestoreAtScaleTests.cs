using System.IO.Hashing;
using System.Text;
using TypedSkv.Storage;

namespace TypedSkv.Tests;

/// <summary>
/// Issue 12, memory at scale: a restore writes through a write-only transaction whose index is sorted on disk and
/// committed as a new checkpoint (not held in memory), and whole-store passes (backup, verify, compaction) do not
/// keep the pages they read mapped.
/// </summary>
public sealed class Issue12RestoreAtScaleTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    // a sort buffer of 4 KiB spills a run every ~100 entries; checkpoints are due at 200 overlay entries
    private static readonly SkvOptions Small = new() { Durability = SkvDurability.None, CheckpointThreshold = 200, RestoreSortBufferBytes = 4096 };

    private static string Key(int i) => Convert.ToHexStringLower(XxHash3.Hash(BitConverter.GetBytes(i)));

    private static void AssertHolds(SkvStore store, SortedDictionary<string, string> expected)
    {
        Assert.Equal(expected.Count, store.Count);
        Assert.Equal(expected.Select(p => (p.Key, p.Value)), store.Scan().Select(e => (e.KeyString, e.GetValueString())));
        foreach (var (k, v) in expected) Assert.Equal(v, store.GetString(k));
    }

    private SkvStats ReferenceStats()
    {
        using var reference = SkvStore.OpenReadOnly(DbPath, verifyWholeLog: true);
        return reference.GetStats();
    }

    private SortedDictionary<string, string> FillExisting(SkvStore store, int keys)
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < keys; i++)
        {
            store.Put(Key(i), "old" + i);
            expected[Key(i)] = "old" + i;
        }
        store.WaitForCheckpoint();
        return expected;
    }

    [Fact]
    public void A_large_restore_transaction_spills_sorted_runs_and_commits_a_checkpoint_with_exact_contents_and_figures()
    {
        var rnd = new Random(7);
        SortedDictionary<string, string> expected;
        using (var store = SkvStore.Open(DbPath, Small))
        {
            expected = FillExisting(store, 1000);
            using (var tx = store.BeginRestoreTransaction())
            {
                Assert.True(tx.IsWriteOnly);
                // overwrites of existing keys, new keys, and keys written several times (the last one wins)
                for (int n = 0; n < 3000; n++)
                {
                    int i = rnd.Next(2500);
                    string value = $"new{n}-" + new string('x', rnd.Next(40));
                    tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes(value));
                    expected[Key(i)] = value;
                }
                // the runs are unlinked as soon as they are made: nothing of them is visible in the folder
                Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.Contains(".sort-"));
                tx.Commit();
            }
            Assert.Null(store.LastCheckpointError);
            // the transaction's index went into a checkpoint, not into the in-memory overlay
            Assert.Equal(0, store.OverlayEntries);
            AssertHolds(store, expected);
            Assert.Equal(ReferenceStats(), store.GetStats());
        }
        using (var reopened = SkvStore.OpenReadOnly(DbPath))
        {
            Assert.True(reopened.UsedCheckpoint, reopened.CheckpointNote);
            AssertHolds(reopened, expected);
        }
        Assert.True(SkvCheck.Check(DbPath).Ok);
    }

    [Fact]
    public void A_restore_transaction_after_a_clear_keeps_only_what_it_wrote()
    {
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var store = SkvStore.Open(DbPath, Small))
        {
            FillExisting(store, 800);
            using (var tx = store.BeginRestoreTransaction())
            {
                tx.Put(Encoding.UTF8.GetBytes("before-clear"), "x"u8);
                tx.Clear();
                for (int i = 500; i < 1500; i++)
                {
                    tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes("r" + i));
                    expected[Key(i)] = "r" + i;
                }
                tx.Commit();
            }
            AssertHolds(store, expected);
            Assert.Equal(ReferenceStats(), store.GetStats());
            // later writes go on as usual on top of the new checkpoint
            store.Put("after", "1");
            expected["after"] = "1";
            store.Delete(Key(600));
            expected.Remove(Key(600));
        }
        using var reopened = SkvStore.Open(DbPath, Small);
        AssertHolds(reopened, expected);
    }

    [Fact]
    public void A_rolled_back_restore_transaction_leaves_the_store_as_it_was_also_after_reopening()
    {
        SortedDictionary<string, string> expected;
        SkvStats statsBefore;
        using (var store = SkvStore.Open(DbPath, Small))
        {
            expected = FillExisting(store, 500);
            statsBefore = store.GetStats();
            using (var tx = store.BeginRestoreTransaction())
            {
                for (int i = 0; i < 2000; i++) tx.Put(Encoding.UTF8.GetBytes(Key(i)), "gone"u8);
            } // no commit
            AssertHolds(store, expected);
            Assert.Equal(statsBefore.LiveRecords, store.GetStats().LiveRecords);
            // the store takes writes again (the write lock and the checkpoint gate were let go)
            store.Put("k", "v");
            expected["k"] = "v";
            store.WaitForCheckpoint();
        }
        using var reopened = SkvStore.Open(DbPath, Small);
        AssertHolds(reopened, expected);
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.Contains(".sort-"));
    }

    [Fact]
    public void A_small_restore_transaction_joins_the_overlay_instead_of_writing_a_checkpoint()
    {
        using var store = SkvStore.Open(DbPath, Small);
        var expected = FillExisting(store, 300);
        long overlay = store.OverlayEntries;
        using (var tx = store.BeginRestoreTransaction())
        {
            for (int i = 0; i < 50; i++)
            {
                tx.Put(Encoding.UTF8.GetBytes("small" + i), "v"u8);
                expected["small" + i] = "v";
            }
            tx.Put(Encoding.UTF8.GetBytes("small1"), "twice"u8);
            expected["small1"] = "twice";
            tx.Commit();
        }
        Assert.Equal(overlay + 50, store.OverlayEntries);
        AssertHolds(store, expected);
        store.Flush(durable: false); // the reference reads the file from another handle
        Assert.Equal(ReferenceStats(), store.GetStats());
    }

    [Fact]
    public void A_restore_transaction_is_write_only()
    {
        using var store = SkvStore.Open(DbPath, Small);
        using var tx = store.BeginRestoreTransaction();
        tx.Put("a"u8, "1"u8);
        Assert.Throws<InvalidOperationException>(() => tx.TryGet("a"u8, out _));
        Assert.Throws<InvalidOperationException>(() => tx.ContainsKey("a"u8));
        Assert.Throws<InvalidOperationException>(() => tx.Delete("a"u8));
        Assert.Throws<InvalidOperationException>(() => tx.Count);
        Assert.Throws<InvalidOperationException>(() => tx.ScanRange(null, null));
    }

    [Fact]
    public void When_the_commits_checkpoint_cannot_be_written_the_committed_restore_is_served_from_memory_and_survives_a_reopen()
    {
        var seam = new FileSeam();
        var options = new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200, RestoreSortBufferBytes = 4096, Seam = seam };
        var expected = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var store = SkvStore.Open(DbPath, options))
        {
            expected = FillExisting(store, 400);
            using var tx = store.BeginRestoreTransaction();
            for (int i = 0; i < 1500; i++)
            {
                tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes("r" + i));
                expected[Key(i)] = "r" + i;
            }
            seam.Fault = (op, path, _, _) =>
            {
                if (op == FileOperation.Write && path.EndsWith(Checkpoint.Suffix + ".tmp", StringComparison.Ordinal)) throw new IOException("injected: disk full");
            };
            tx.Commit(); // acknowledged: the commit record is durable, the checkpoint is derived data
            seam.Fault = null;
            Assert.IsType<IOException>(store.LastCheckpointError);
            AssertHolds(store, expected);
            Assert.Equal(ReferenceStats(), store.GetStats());
        }
        using var reopened = SkvStore.Open(DbPath, options);
        AssertHolds(reopened, expected);
    }

    [Fact]
    public void A_restore_of_a_backup_in_key_order_and_of_one_out_of_order_give_the_same_store_and_counts()
    {
        // the store before: keys 0..299; the backup: keys 200..699, so 200 are removed by a replace
        string sorted = _dir.File("sorted.json"), shuffled = _dir.File("shuffled.json");
        var records = Enumerable.Range(200, 500).Select(i => (Key: Key(i), Value: "b" + i)).ToList();
        void Write(string path, IEnumerable<(string Key, string Value)> rs) =>
            File.WriteAllText(path, "{\"version\":\"1.0\",\"created_at\":\"2024-12-06T12:00:00Z\",\"total_records\":" + records.Count + ",\"records\":["
                + string.Join(",", rs.Select(r => $"{{\"key\":\"{r.Key}\",\"value\":\"{r.Value}\",\"encoding\":\"text\"}}")) + "]}");
        Write(sorted, records.OrderBy(r => r.Key, StringComparer.Ordinal));
        Write(shuffled, records.OrderBy(r => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(r.Key + "#"))));

        RestoreResult Run(string backup, string store)
        {
            using var s = SkvStore.Open(store, Small);
            for (int i = 0; i < 300; i++) s.Put(Key(i), i < 250 ? "b" + i : "other");
            return s.Restore(backup, new RestoreOptions { Mode = RestoreMode.Replace });
        }
        var a = Run(sorted, _dir.File("a.skv"));
        var b = Run(shuffled, _dir.File("b.skv"));
        Assert.Equal((400L, 50L, 50L, 200L), (a.Added, a.Overwritten, a.Unchanged, a.Removed));
        Assert.Equal((a.Added, a.Overwritten, a.Unchanged, a.Removed), (b.Added, b.Overwritten, b.Unchanged, b.Removed));
        using var sa = SkvStore.OpenReadOnly(_dir.File("a.skv"));
        using var sb = SkvStore.OpenReadOnly(_dir.File("b.skv"));
        Assert.Equal(500, sa.Count);
        Assert.Equal(sa.Scan().Select(e => (e.KeyString, e.GetValueString())), sb.Scan().Select(e => (e.KeyString, e.GetValueString())));
    }

    [Fact]
    public void A_restore_into_a_new_store_publishes_its_checkpoint_under_the_stores_name()
    {
        // regression: the checkpoint stayed at <temp>.idx, so the first open of a restored store replayed everything
        string backup = _dir.File("b.json");
        using (var source = SkvStore.Open(_dir.File("source.skv"), new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 12_000; i++) source.Put(Key(i), "v" + i);
            source.Backup(backup);
        }
        string target = _dir.File("restored.skv");
        var result = SkvBackup.RestoreToNewStore(target, backup);
        Assert.Equal(12_000, result.Added);
        Assert.True(File.Exists(target + Checkpoint.Suffix));
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.Contains(".restore-"));
        using var reopened = SkvStore.OpenReadOnly(target);
        Assert.True(reopened.UsedCheckpoint, reopened.CheckpointNote);
        Assert.Equal(12_000, reopened.Count);
    }

    [Fact]
    public void A_backup_does_not_keep_the_store_files_pages_mapped()
    {
        // 24 MiB of values, read back by a backup in a store opened afresh: the store file's mapping in this process
        // must not end up holding them (the values are read with pread, not through the map)
        var value = new byte[4096];
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 6144; i++)
            {
                Random.Shared.NextBytes(value);
                store.Put(Encoding.UTF8.GetBytes(Key(i)), value);
            }
        }
        using var ro = SkvStore.OpenReadOnly(DbPath);
        var result = ro.Backup(_dir.File("b.json"));
        Assert.Equal(6144, result.Records);
        long mapped = ResidentKiBOfMappings(Path.GetFullPath(DbPath));
        Assert.True(mapped < 4096, $"{mapped} KiB of the 24 MiB store file stayed resident in this process after a backup");
        // ordinary reads do use the map (the assertion above can fail)
        foreach (var e in ro.Scan()) e.GetValue();
        Assert.True(ResidentKiBOfMappings(Path.GetFullPath(DbPath)) > 8192, "ordinary reads went around the map");
    }

    /// <summary>The resident KiB of this process's mappings of <paramref name="file"/> (/proc/self/smaps).</summary>
    private static long ResidentKiBOfMappings(string file)
    {
        long total = 0;
        bool inFile = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (line.Length > 0 && char.IsAsciiHexDigit(line[0]) && line.Contains('-') && line.Contains(' ')) inFile = line.EndsWith(" " + file, StringComparison.Ordinal);
            else if (inFile && line.StartsWith("Rss:", StringComparison.Ordinal)) total += long.Parse(line[4..].Trim().Split(' ')[0]);
        }
        return total;
    }
}

/// <summary>SIGKILL of a process in the middle of a large restore: all or nothing across the kill.</summary>
public sealed class Issue12RestoreKillTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private static string Key(int i) => Convert.ToHexStringLower(XxHash3.Hash(BitConverter.GetBytes(i)));

    /// <summary>A store of 300 old keys and a backup of 20,000 records (keys 200.. of the same space).</summary>
    private (SortedDictionary<string, string> Old, SortedDictionary<string, string> Restored, string Backup) Prepare()
    {
        var old = new SortedDictionary<string, string>(StringComparer.Ordinal);
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 300; i++)
            {
                store.Put(Key(i), "old" + i);
                old[Key(i)] = "old" + i;
            }
        }
        var restored = new SortedDictionary<string, string>(old, StringComparer.Ordinal);
        string backup = _dir.File("b.json");
        using (var source = SkvStore.Open(_dir.File("source.skv"), new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 200; i < 20200; i++)
            {
                source.Put(Key(i), "new" + i);
                restored[Key(i)] = "new" + i;
            }
            source.Backup(backup);
        }
        return (old, restored, backup);
    }

    private static void AssertHolds(SkvStore store, SortedDictionary<string, string> expected)
    {
        Assert.Equal(expected.Count, store.Count);
        Assert.Equal(expected.Select(p => (p.Key, p.Value)), store.Scan().Select(e => (e.KeyString, e.GetValueString())));
    }

    [Theory]
    [InlineData("before-commit")]
    [InlineData("after-commit")]
    public void A_restore_killed_before_its_commit_leaves_the_old_store_and_after_it_keeps_the_whole_restore(string phase)
    {
        var (old, restored, backup) = Prepare();
        using (var child = new ChildProcess("restore-stop", DbPath, backup, phase))
        {
            string? line = child.ReadLine();
            Assert.True(line is not null && (line.StartsWith("stopped at", StringComparison.Ordinal) || line == "committed"), $"child said: {line}");
            child.Kill();
        }
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => f.Contains(".sort-"));
        using (var store = SkvStore.Open(DbPath))
        {
            AssertHolds(store, phase == "before-commit" ? old : restored);
        }
        Assert.True(SkvCheck.Check(DbPath).Ok);
    }
}
