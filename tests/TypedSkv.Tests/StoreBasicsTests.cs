using System.Text;

namespace TypedSkv.Tests;

public sealed class StoreBasicsTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private SkvStore Open(SkvDurability durability = SkvDurability.None) =>
        SkvStore.Open(DbPath, new SkvOptions { Durability = durability });

    [Fact]
    public void Put_then_get_returns_value_and_count_tracks_keys()
    {
        using var store = Open();
        store.Put("username", "alice");
        store.Put("binary"u8, new byte[] { 1, 2, 3, 4 });
        Assert.Equal("alice", store.GetString("username"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, store.Get("binary"u8));
        Assert.Equal(2, store.Count);
        store.Put("username", "bob");
        Assert.Equal("bob", store.GetString("username"));
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void Missing_keys_are_reported_without_exceptions_where_asked()
    {
        using var store = Open();
        Assert.False(store.TryGet("nope"u8, out var v));
        Assert.Null(v);
        Assert.Null(store.GetOrDefault("nope"u8));
        Assert.Null(store.GetStringOrDefault("nope"));
        Assert.False(store.ContainsKey("nope"));
        var ex = Assert.Throws<SkvKeyNotFoundException>(() => store.Get("nope"u8));
        Assert.Contains("\"nope\"", ex.Message);
    }

    [Fact]
    public void Insert_and_update_follow_their_semantics()
    {
        using var store = Open();
        Assert.True(store.TryInsert("a", "1"));
        Assert.False(store.TryInsert("a", "2"));
        Assert.Equal("1", store.GetString("a"));
        Assert.Throws<SkvKeyExistsException>(() => store.Insert("a", "3"));

        Assert.False(store.TryUpdate("b", "1"));
        Assert.False(store.ContainsKey("b"));
        Assert.Throws<SkvKeyNotFoundException>(() => store.Update("b", "1"));
        Assert.True(store.TryUpdate("a", "9"));
        Assert.Equal("9", store.GetString("a"));
        Assert.Equal(1, store.Count);
    }

    [Fact]
    public void Delete_returns_whether_key_existed_and_writes_nothing_when_absent()
    {
        using var store = Open();
        store.Put("a", "1");
        long size = store.GetStats().FileSizeBytes;
        Assert.False(store.Delete("zzz"));
        Assert.Equal(size, store.GetStats().FileSizeBytes);
        Assert.True(store.Delete("a"));
        Assert.False(store.ContainsKey("a"));
        Assert.Equal(0, store.Count);
        Assert.False(store.Delete("a"));
    }

    [Fact]
    public void Empty_values_and_max_size_keys_round_trip()
    {
        using var store = Open();
        var longKey = Enumerable.Repeat((byte)'k', 1024).ToArray();
        store.Put(longKey, ReadOnlySpan<byte>.Empty);
        Assert.Empty(store.Get(longKey));
        Assert.Throws<ArgumentException>(() => store.Put(new byte[1025], "x"u8));
        Assert.Throws<ArgumentException>(() => store.Put(ReadOnlySpan<byte>.Empty, "x"u8));
    }

    [Fact]
    public void Large_values_bigger_than_the_write_buffer_round_trip_and_survive_reopen()
    {
        var big = new byte[3 * 1024 * 1024 + 7];
        new Random(1).NextBytes(big);
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, WriteBufferSize = 64 * 1024 }))
        {
            store.Put("small", "s");
            store.Put("big"u8, big);
            store.Put("after", "a");
            Assert.Equal(big, store.Get("big"u8));
            Assert.Equal("s", store.GetString("small"));
            Assert.Equal("a", store.GetString("after"));
        }
        using var reopened = Open();
        Assert.Equal(big, reopened.Get("big"u8));
        Assert.Equal("a", reopened.GetString("after"));
    }

    [Fact]
    public void Values_of_64_MiB_round_trip()
    {
        var big = new byte[64 * 1024 * 1024];
        new Random(2).NextBytes(big);
        using (var store = Open())
        {
            store.Put("big"u8, big);
        }
        using var reopened = Open();
        Assert.Equal(big, reopened.Get("big"u8));
    }

    [Fact]
    public void Scan_returns_keys_in_unsigned_byte_order()
    {
        using var store = Open();
        byte[][] keys = [[0xFF], [0x00], [0x7F, 0x01], [0x80], [0x7F], [0x00, 0x00]];
        foreach (var k in keys) store.Put(k, k);
        var scanned = store.Scan().Select(e => e.Key.ToArray()).ToList();
        byte[][] expected = [[0x00], [0x00, 0x00], [0x7F], [0x7F, 0x01], [0x80], [0xFF]];
        Assert.Equal(expected, scanned);
        Assert.All(store.Scan(), e => Assert.Equal(e.Key.ToArray(), e.GetValue()));
    }

    [Fact]
    public void Prefix_and_range_scans_return_exactly_the_matching_keys()
    {
        using var store = Open();
        var model = new SortedSet<string>(StringComparer.Ordinal);
        var rnd = new Random(3);
        for (int i = 0; i < 5000; i++)
        {
            string k = $"{(char)('a' + rnd.Next(5))}{rnd.Next(1000):D3}";
            store.Put(k, k);
            model.Add(k);
        }
        foreach (var prefix in new[] { "a", "b1", "c99", "e000", "z", "" })
        {
            var expected = model.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).ToList();
            Assert.Equal(expected, store.ScanPrefix(prefix).Select(e => e.KeyString).ToList());
        }
        var range = store.ScanRange(Encoding.UTF8.GetBytes("b500"), Encoding.UTF8.GetBytes("c100")).Select(e => e.KeyString).ToList();
        Assert.Equal(model.Where(k => string.CompareOrdinal(k, "b500") >= 0 && string.CompareOrdinal(k, "c100") < 0).ToList(), range);
        Assert.Equal(model.Where(k => string.CompareOrdinal(k, "d") >= 0).ToList(),
            store.ScanRange("d"u8.ToArray(), null).Select(e => e.KeyString).ToList());
    }

    [Fact]
    public void Prefix_of_all_0xFF_bytes_scans_to_the_end()
    {
        using var store = Open();
        store.Put(new byte[] { 0xFF }, "1"u8);
        store.Put(new byte[] { 0xFF, 0xFF, 0x01 }, "2"u8);
        store.Put(new byte[] { 0xFE }, "3"u8);
        Assert.Equal(2, store.ScanPrefix(new byte[] { 0xFF }).Count());
        Assert.Single(store.ScanPrefix(new byte[] { 0xFF, 0xFF }));
    }

    [Fact]
    public void Clear_removes_everything_and_stays_cleared_after_reopen()
    {
        using (var store = Open())
        {
            for (int i = 0; i < 100; i++) store.Put($"k{i}", "v");
            store.Clear();
            Assert.Equal(0, store.Count);
            Assert.Empty(store.Scan());
            store.Put("after", "1");
        }
        using var reopened = Open();
        Assert.Equal(1, reopened.Count);
        Assert.Equal("1", reopened.GetString("after"));
    }

    [Theory]
    [InlineData(SkvDurability.None)]
    [InlineData(SkvDurability.Flush)]
    [InlineData(SkvDurability.Fsync)]
    public void Reopen_after_many_writes_deletes_and_compactions_returns_the_same_data(SkvDurability durability)
    {
        var model = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rnd = new Random(42);
        for (int round = 0; round < 4; round++)
        {
            using var store = Open(durability);
            Assert.Equal(model, StoreDigest.Text(store));
            int ops = durability == SkvDurability.Fsync ? 300 : 3000;
            for (int i = 0; i < ops; i++)
            {
                string k = "key" + rnd.Next(500);
                switch (rnd.Next(10))
                {
                    case < 6:
                        string v = new string('v', rnd.Next(0, 300)) + i;
                        store.Put(k, v);
                        model[k] = v;
                        break;
                    case < 9:
                        Assert.Equal(model.Remove(k), store.Delete(k));
                        break;
                    default:
                        var batch = new SkvWriteBatch();
                        for (int j = 0; j < 5; j++)
                        {
                            string bk = "batch" + rnd.Next(50);
                            batch.Put(bk, "b" + i);
                            model[bk] = "b" + i;
                        }
                        store.Write(batch);
                        break;
                }
            }
            if (round % 2 == 1) store.Compact();
            Assert.Equal(model.Count, store.Count);
            Assert.Equal(model, StoreDigest.Text(store));
        }
        using var last = Open(durability);
        Assert.Equal(model, StoreDigest.Text(last));
    }

    [Fact]
    public void Stats_count_live_and_dead_records()
    {
        using var store = Open();
        store.Put("a", "1");
        store.Put("a", "2");
        store.Put("b", "1");
        store.Delete("b");
        store.Flush();
        var stats = store.GetStats();
        Assert.Equal(1, stats.LiveRecords);
        Assert.Equal(3, stats.DeadRecords); // old a, b, b's tombstone
        Assert.Equal(new FileInfo(DbPath).Length, stats.FileSizeBytes);
        Assert.Equal(2, stats.FormatVersion);
    }

    [Fact]
    public void Operations_after_dispose_throw_ObjectDisposedException()
    {
        var store = Open();
        store.Put("a", "1");
        store.Dispose();
        Assert.Throws<ObjectDisposedException>(() => store.Get("a"u8));
        Assert.Throws<ObjectDisposedException>(() => store.Put("a", "2"));
        store.Dispose(); // idempotent
    }

    [Fact]
    public void Open_rejects_a_file_that_is_not_a_store()
    {
        File.WriteAllText(DbPath, "this is a text file, not a TypedSkv store, and it is long enough");
        var ex = Assert.Throws<SkvFormatException>(() => Open());
        Assert.Contains("not a TypedSkv data file", ex.Message);
        Assert.Equal("this is a text file, not a TypedSkv store, and it is long enough", File.ReadAllText(DbPath));
    }

    [Fact]
    public void Open_without_create_if_missing_fails_for_a_missing_file()
    {
        Assert.Throws<FileNotFoundException>(() => SkvStore.Open(DbPath, new SkvOptions { CreateIfMissing = false }));
        Assert.False(File.Exists(DbPath));
        Assert.Throws<DirectoryNotFoundException>(() => SkvStore.Open(_dir.File("no/such/dir/x.skv")));
    }

    [Fact]
    public void Read_only_store_refuses_writes()
    {
        using (var store = Open()) store.Put("a", "1");
        using var ro = SkvStore.OpenReadOnly(DbPath);
        Assert.True(ro.IsReadOnly);
        Assert.Equal("1", ro.GetString("a"));
        Assert.Throws<SkvException>(() => ro.Put("a", "2"));
        Assert.Throws<SkvException>(() => ro.Compact());
    }

    [Fact]
    public void A_second_writer_in_the_same_process_is_refused_and_a_reader_is_not()
    {
        using var store = Open(SkvDurability.Flush);
        store.Put("a", "1");
        var ex = Assert.Throws<SkvLockedException>(() => Open());
        Assert.Contains(DbPath, ex.Message);
        using var ro = SkvStore.OpenReadOnly(DbPath);
        Assert.Equal("1", ro.GetString("a"));
    }

    [Fact]
    public void The_lock_is_released_on_dispose()
    {
        Open().Dispose();
        using var again = Open();
        Assert.False(again.IsReadOnly);
    }

    [Fact]
    public void TryRead_hands_the_verified_value_to_the_reader_without_keeping_it()
    {
        using var store = Open();
        var big = new byte[5000];
        new Random(5).NextBytes(big);
        store.Put("small", "hello");
        store.Put("big"u8, big);
        Assert.True(store.TryRead("small"u8, 1, (v, add) => v.Length + add, out int len));
        Assert.Equal(6, len);
        Assert.True(store.TryRead("big"u8, 0, (v, _) => v.ToArray(), out byte[]? copy));
        Assert.Equal(big, copy);
        bool called = false;
        Assert.False(store.TryRead("missing"u8, 0, (v, _) => called = true, out _));
        Assert.False(called);
        Assert.Equal(["big", "small"], store.Scan().Select(e => e.ReadValue(e.KeyString, (v, k) => k)));
        Assert.Equal(5000, store.Scan().First().ReadValue(0, (v, _) => v.Length));
    }

    [Fact]
    public void TryRead_refuses_a_damaged_value()
    {
        using var store = Open(SkvDurability.Flush);
        store.Put("a", "aaaaaaaaaaaa");
        FileDamage.WriteByte(DbPath, 32 + 16 + 1 + 4, (byte)'!');
        Assert.Throws<SkvCorruptionException>(() => store.TryRead("a"u8, 0, (v, _) => v.Length, out _));
    }
}

/// <summary>Public behaviours with no test before the review: options, bad input, descriptions.</summary>
public sealed class StoreEdgeTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("d.skv");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CreatedAt_is_kept_across_reopen_and_compaction()
    {
        DateTimeOffset created;
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            created = store.CreatedAt;
            Assert.True(Math.Abs((DateTimeOffset.UtcNow - created).TotalMinutes) < 5);
            store.Put("a", "1");
            store.Compact();
            Assert.Equal(created, store.CreatedAt);
        }
        using var reopened = SkvStore.OpenReadOnly(DbPath);
        Assert.Equal(created, reopened.CreatedAt);
    }

    [Fact]
    public void Bad_options_and_missing_or_short_files_are_refused_clearly()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SkvStore.Open(DbPath, new SkvOptions { WriteBufferSize = 0 }));
        Assert.Throws<ArgumentException>(() => SkvStore.Open(""));
        Assert.Throws<FileNotFoundException>(() => SkvStore.OpenReadOnly(DbPath));
        File.WriteAllBytes(DbPath, "TYPED"u8.ToArray());
        var ex = Assert.Throws<SkvFormatException>(() => SkvStore.OpenReadOnly(DbPath));
        Assert.Contains("too short", ex.Message);
        Assert.False(File.Exists(DbPath + SkvStore.LockFileSuffix));
    }

    [Fact]
    public void A_batch_validates_keys_and_values_when_they_are_added_and_an_empty_batch_writes_nothing()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        var batch = new SkvWriteBatch();
        Assert.Throws<ArgumentException>(() => batch.Put(new byte[1025], "v"u8));
        Assert.Throws<ArgumentException>(() => batch.Delete(ReadOnlySpan<byte>.Empty));
        Assert.True(batch.IsEmpty);
        store.Flush(durable: false);
        long size = new FileInfo(DbPath).Length;
        store.Write(batch);
        store.Flush(durable: false);
        Assert.Equal(size, new FileInfo(DbPath).Length);
        batch.Put("a", "1").Put("b", "2");
        Assert.Equal(2, batch.Count);
        batch.Clear();
        store.Write(batch.Put("c", "3"));
        Assert.Equal(["c"], store.Scan().Select(e => e.KeyString));
    }

    [Theory]
    [InlineData(new byte[] { 0x61, 0x62 }, "\"ab\"")]
    [InlineData(new byte[] { 0x00, 0xFF }, "0x00FF")]
    [InlineData(new byte[] { 0x61, 0x0A }, "0x610A")] // control characters are not printed raw
    public void Keys_are_described_safely_in_messages(byte[] key, string shown)
    {
        Assert.Equal(shown, KeyFormatter.Describe(key));
    }

    [Fact]
    public void Long_keys_are_cut_in_messages()
    {
        string shown = KeyFormatter.Describe(Enumerable.Repeat((byte)'k', 1000).ToArray());
        Assert.StartsWith("\"" + new string('k', 64) + "\"...", shown);
        Assert.EndsWith("(1000 bytes)", shown);
    }
}
