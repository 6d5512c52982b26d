namespace TypedSkv.Tests;

public sealed class CompactionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Compaction_reclaims_dead_records_and_keeps_every_live_one()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        for (int round = 0; round < 5; round++)
            for (int i = 0; i < 2000; i++) store.Put($"k{i:D5}", $"round {round} value {i}");
        for (int i = 0; i < 2000; i += 3) store.Delete($"k{i:D5}");
        var before = StoreDigest.Of(store);
        var stats = store.GetStats();
        Assert.True(stats.DeadRecords > 8000);

        var result = store.Compact();

        Assert.Equal(store.Count, result.LiveRecords);
        Assert.True(result.BytesAfter < result.BytesBefore / 4);
        Assert.Equal(result.BytesAfter, new FileInfo(DbPath).Length);
        Assert.Equal(0, store.GetStats().DeadRecords);
        Assert.Equal(before, StoreDigest.Of(store));
        Assert.False(File.Exists(DbPath + ".compact"));
        store.Put("after", "compaction");
        store.Dispose();
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal("compaction", reopened.GetString("after"));
        reopened.Delete("after");
        Assert.Equal(before, StoreDigest.Of(reopened));
    }

    [Fact]
    public void Compaction_refuses_to_copy_a_damaged_value_and_leaves_the_store_usable()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush });
        store.Put("a", "aaaaaaaa");
        store.Put("b", "bbbbbbbb");
        FileDamage.WriteByte(DbPath, 32 + 16 + 1 + 2, (byte)'Z');
        Assert.Throws<SkvCorruptionException>(() => store.Compact());
        Assert.False(File.Exists(DbPath + ".compact"));
        Assert.Equal("bbbbbbbb", store.GetString("b"));
        store.Put("c", "c");
        Assert.Equal("c", store.GetString("c"));
    }

    [Fact]
    public void Compacting_an_empty_store_gives_a_header_only_file()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        store.Put("a", "1");
        store.Delete("a");
        var result = store.Compact();
        Assert.Equal(0, result.LiveRecords);
        Assert.Equal(32, result.BytesAfter);
    }
}

public sealed class EntryLifetimeTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_entry_kept_past_its_scan_fails_cleanly_once_compaction_retired_its_file()
    {
        using var store = SkvStore.Open(_dir.File("d.skv"), new SkvOptions { Durability = SkvDurability.None });
        store.Put("a", "1");
        store.Put("a", "2");
        var kept = store.Scan().First();
        Assert.Equal("2", kept.GetValueString()); // still fine: the file is current
        store.Compact();
        Assert.Throws<ObjectDisposedException>(() => kept.GetValue());
        Assert.Equal("2", store.GetString("a"));
    }

    [Fact]
    public void A_disposed_snapshot_refuses_reads()
    {
        using var store = SkvStore.Open(_dir.File("d.skv"), new SkvOptions { Durability = SkvDurability.None });
        store.Put("a", "1");
        var snap = store.GetSnapshot();
        snap.Dispose();
        Assert.Throws<ObjectDisposedException>(() => snap.Get("a"u8));
        Assert.Throws<ObjectDisposedException>(() => snap.Scan().ToList());
    }
}
