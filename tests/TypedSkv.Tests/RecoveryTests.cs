namespace TypedSkv.Tests;

/// <summary>What opening a damaged file does: torn tails are cut, damage followed by valid data is refused.</summary>
public sealed class RecoveryTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private SkvStore Open() => SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });

    /// <summary>Writes a store and returns the file offset where the last record starts.</summary>
    private long WriteSample(int records)
    {
        using var store = Open();
        for (int i = 0; i < records - 1; i++) store.Put($"key{i}", $"value-{i}");
        store.Flush();
        long lastStart = new FileInfo(DbPath).Length;
        store.Put("last", "the-last-value");
        return lastStart;
    }

    [Fact]
    public void A_tail_truncated_at_every_byte_of_the_last_record_loses_only_that_record()
    {
        long lastStart = WriteSample(20);
        byte[] full = File.ReadAllBytes(DbPath);
        for (long cut = lastStart; cut < full.Length; cut++)
        {
            File.WriteAllBytes(DbPath, full.AsSpan(0, (int)cut).ToArray());
            using var store = Open();
            Assert.Equal(19, store.Count);
            Assert.False(store.ContainsKey("last"));
            Assert.Equal("value-18", store.GetString("key18"));
            Assert.Equal(cut - lastStart, store.Recovery.TruncatedBytes);
            Assert.Equal(cut > lastStart, store.Recovery.Repaired);
            Assert.Equal(lastStart, new FileInfo(DbPath).Length);
            // the repaired store takes writes that survive the next open
            store.Put("after", "x");
        }
        using var final = Open();
        Assert.Equal("x", final.GetString("after"));
    }

    [Fact]
    public void A_checksum_failing_last_record_is_treated_as_torn()
    {
        WriteSample(5);
        byte[] full = File.ReadAllBytes(DbPath);
        full[^1] ^= 0x01;
        File.WriteAllBytes(DbPath, full);
        using var store = Open();
        Assert.Equal(4, store.Count);
        Assert.True(store.Recovery.Repaired);
        Assert.Contains("checksum", store.Recovery.Reason);
    }

    [Fact]
    public void A_flipped_bit_with_valid_records_after_it_raises_corruption_with_the_offset()
    {
        WriteSample(10);
        byte[] original = File.ReadAllBytes(DbPath);
        // every bit of the first record: header, key and value
        long firstRecord = 32;
        int firstRecordSize = 16 + "key0".Length + "value-0".Length;
        for (int bit = 0; bit < firstRecordSize * 8; bit++)
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[firstRecord + bit / 8] ^= (byte)(1 << (bit % 8));
            File.WriteAllBytes(DbPath, damaged);
            var ex = Assert.Throws<SkvCorruptionException>(() => Open());
            Assert.Equal(firstRecord, ex.Offset);
            Assert.Contains(DbPath, ex.Message);
            // refusing must not modify the file
            Assert.Equal(damaged, File.ReadAllBytes(DbPath));
        }
    }

    [Fact]
    public void Damage_after_open_is_detected_on_read_never_returned()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush });
        store.Put("a", "aaaaaaaaaaaaaaaa");
        store.Put("b", "bbbbbbbbbbbbbbbb");
        FileDamage.WriteByte(DbPath, 32 + 16 + 1 + 3, (byte)'X'); // inside a's value
        var ex = Assert.Throws<SkvCorruptionException>(() => store.Get("a"u8));
        Assert.Equal(32, ex.Offset);
        Assert.Equal("bbbbbbbbbbbbbbbb", store.GetString("b"));
    }

    [Fact]
    public void A_damaged_file_header_is_refused()
    {
        WriteSample(3);
        byte[] full = File.ReadAllBytes(DbPath);
        full[9] ^= 0x40; // format version
        File.WriteAllBytes(DbPath, full);
        Assert.Throws<SkvFormatException>(() => Open());
    }

    [Fact]
    public void A_file_cut_inside_its_header_is_reinitialized_only_when_it_is_a_prefix_of_a_header()
    {
        WriteSample(3);
        byte[] full = File.ReadAllBytes(DbPath);
        File.WriteAllBytes(DbPath, full.AsSpan(0, 5).ToArray());
        using (var store = Open()) Assert.Equal(0, store.Count);
        File.WriteAllBytes(DbPath, "ABCDE"u8.ToArray());
        Assert.Throws<SkvFormatException>(() => Open());
    }

    [Fact]
    public void A_batch_without_its_commit_record_is_discarded_whole()
    {
        using (var store = Open())
        {
            store.Put("before", "1");
            store.Flush();
        }
        long committedEnd = new FileInfo(DbPath).Length;
        using (var store = Open())
        {
            var batch = new SkvWriteBatch();
            for (int i = 0; i < 10; i++) batch.Put($"b{i}", "v");
            store.Write(batch);
        }
        byte[] full = File.ReadAllBytes(DbPath);
        // every cut inside the batch, including one that removes only the commit record's last byte
        for (long cut = committedEnd + 1; cut < full.Length; cut += 7)
        {
            File.WriteAllBytes(DbPath, full.AsSpan(0, (int)cut).ToArray());
            using (var store = Open()) Assert.Equal(1, store.Count);
            // the batch's intact records stay (a reader may have read them), closed by an Abort record: the file
            // reopens as it is, with nothing more to repair
            Assert.True(new FileInfo(DbPath).Length >= committedEnd);
            using (var again = Open())
            {
                Assert.Equal(1, again.Count);
                Assert.False(again.Recovery.Repaired);
            }
        }
        File.WriteAllBytes(DbPath, full.AsSpan(0, full.Length - 1).ToArray());
        using (var store = Open())
        {
            Assert.Equal(1, store.Count);
            Assert.Equal(10, store.Recovery.DiscardedBatchRecords);
        }
        File.WriteAllBytes(DbPath, full);
        using (var store = Open()) Assert.Equal(11, store.Count);
    }

    [Fact]
    public void A_rolled_back_transaction_never_takes_effect_and_compaction_reclaims_it()
    {
        using var store = Open();
        store.Put("a", "1");
        store.Flush();
        long size = new FileInfo(DbPath).Length;
        using (var tx = store.BeginTransaction())
        {
            for (int i = 0; i < 50_000; i++) tx.Put($"t{i}", "some value that fills the buffer");
            Assert.Equal(50_001, tx.Count);
            Assert.True(tx.ContainsKey("t7"u8));
            Assert.Equal(1, store.Count); // not visible before commit
        }
        Assert.Equal(1, store.Count);
        store.Flush();
        // the rolled-back records stay in the file as dead space behind an Abort record (never cut, so never
        // reused under a reader); compaction reclaims them
        Assert.True(new FileInfo(DbPath).Length > size);
        Assert.True(store.GetStats().DeadRecords >= 50_000);
        store.Put("b", "2");
        store.Dispose();
        using var reopened = Open();
        Assert.Equal(2, reopened.Count);
        Assert.False(reopened.Recovery.Repaired);
        reopened.Compact();
        Assert.Equal(0, reopened.GetStats().DeadRecords);
        Assert.Equal(["a", "b"], reopened.Scan().Select(e => e.KeyString));
    }

    [Fact]
    public void A_leftover_compaction_scratch_file_is_removed_on_open()
    {
        WriteSample(3);
        File.WriteAllText(DbPath + ".compact", "half written");
        using var store = Open();
        Assert.Equal(3, store.Count);
        Assert.False(File.Exists(DbPath + ".compact"));
    }

    [Fact]
    public void A_read_only_opener_reads_a_file_with_a_torn_tail_without_changing_it()
    {
        WriteSample(5);
        using (var fs = new FileStream(DbPath, FileMode.Append)) fs.Write(new byte[] { 7, 7, 7, 7, 7, 7, 7, 7, 1, 0, 3 });
        long length = new FileInfo(DbPath).Length;
        using (var ro = SkvStore.OpenReadOnly(DbPath))
        {
            Assert.Equal(5, ro.Count);
            Assert.Equal(11, ro.Recovery.TruncatedBytes); // ignored, not cut
            Assert.Equal("the-last-value", ro.GetString("last"));
            Assert.Equal("value-0", ro.GetString("key0"));
        }
        Assert.Equal(length, new FileInfo(DbPath).Length);
    }
}
