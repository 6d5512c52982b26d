namespace TypedSkv.Tests;

public sealed class ConcurrencyTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Readers_only_ever_see_committed_values_while_a_writer_and_compactions_run()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, WriteBufferSize = 8192 });
        const int keys = 200;
        for (int k = 0; k < keys; k++) store.Put($"k{k:D3}", $"k{k:D3}=0");
        // the pair exists before any reader starts (readers look it up from their first iteration)
        store.Write(new SkvWriteBatch().Put("pair-a", "0").Put("pair-b", "0"));
        var stop = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long reads = 0;

        var readers = Enumerable.Range(0, 4).Select(r => Task.Run(() =>
        {
            var rnd = new Random(r);
            while (DateTime.UtcNow < stop)
            {
                string key = $"k{rnd.Next(keys):D3}";
                // values always name their own key, and a batch moves a pair of keys to the same generation
                string v = store.GetString(key);
                if (!v.StartsWith(key + "=", StringComparison.Ordinal)) errors.Enqueue($"{key} -> {v}");
                using var snap = store.GetSnapshot();
                var a = snap.Get("pair-a"u8);
                var b = snap.Get("pair-b"u8);
                if (!a.AsSpan().SequenceEqual(b)) errors.Enqueue("batch seen half applied");
                if (snap.Count != keys + 2) errors.Enqueue("count " + snap.Count);
                Interlocked.Increment(ref reads);
            }
        })).ToArray();

        int gen = 0;
        var writer = Task.Run(() =>
        {
            while (DateTime.UtcNow < stop)
            {
                gen++;
                for (int k = 0; k < keys; k += 7) store.Put($"k{k:D3}", $"k{k:D3}={gen}" + new string('x', gen % 300));
                store.Write(new SkvWriteBatch().Put("pair-a", gen.ToString()).Put("pair-b", gen.ToString()));
                if (gen % 50 == 0) store.Compact();
            }
        });
        await Task.WhenAll([writer, .. readers]);
        Assert.Empty(errors);
        Assert.True(reads > 100, $"readers made progress ({reads})");
        Assert.True(gen > 50, $"writer made progress ({gen})");
    }

    [Fact]
    public void Concurrent_durable_writers_all_land_and_survive_reopen()
    {
        const int threads = 8, perThread = 40;
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync }))
        {
            // dedicated threads: pool threads blocked in fsync would be injected too slowly to overlap
            var writers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
            {
                for (int i = 0; i < perThread; i++) store.Put($"t{t}-{i}", $"{t}/{i}");
            })).ToList();
            writers.ForEach(w => w.Start());
            writers.ForEach(w => w.Join());
            Assert.Equal(threads * perThread, store.Count);
            // group commit: writers that appended while a sync ran share the next one
            Assert.True(store.SyncCount < threads * perThread, $"{store.SyncCount} fsyncs for {threads * perThread} durable puts");
        }
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal(threads * perThread, reopened.Count);
        for (int t = 0; t < threads; t++)
            for (int i = 0; i < perThread; i++)
                Assert.Equal($"{t}/{i}", reopened.GetString($"t{t}-{i}"));
    }

    [Fact]
    public void A_snapshot_keeps_its_point_in_time_across_writes_and_compaction()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        for (int i = 0; i < 1000; i++) store.Put($"k{i:D4}", $"v{i}");
        using var snap = store.GetSnapshot();
        for (int i = 0; i < 1000; i += 2) store.Delete($"k{i:D4}");
        store.Put("new", "x");
        var result = store.Compact();
        Assert.True(result.BytesReclaimed > 0);
        Assert.Equal(1000, snap.Count);
        Assert.Equal(1000, snap.Scan().Count());
        Assert.Equal("v0", System.Text.Encoding.UTF8.GetString(snap.Get("k0000"u8)));
        Assert.False(snap.ContainsKey("new"u8));
        Assert.Equal(501, store.Count);
    }

    [Fact]
    public void Writing_through_the_store_while_a_transaction_is_open_times_out_with_a_clear_error()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, WriteLockTimeout = TimeSpan.FromMilliseconds(50) });
        using var tx = store.BeginTransaction();
        var timedOut = Assert.Throws<SkvWriteLockTimeoutException>(() => store.Put("a", "1"));
        Assert.Contains("write through the transaction", timedOut.Message);
        tx.Put("a", "1");
        tx.Commit();
        Assert.Equal("1", store.GetString("a"));
        Assert.Throws<InvalidOperationException>(() => tx.Put("b", "2"));
        store.Put("b", "2");
    }

    [Fact]
    public void A_transaction_reads_its_own_writes_and_publishes_them_at_commit()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        store.Put("keep", "1");
        store.Put("gone", "1");
        using (var tx = store.BeginTransaction())
        {
            tx.Put("new", "2");
            Assert.True(tx.Delete("gone"));
            Assert.False(tx.Delete("never"));
            Assert.True(tx.TryGet("new"u8, out var v));
            Assert.Equal("2"u8.ToArray(), v);
            Assert.False(tx.ContainsKey("gone"u8));
            Assert.True(store.ContainsKey("gone"));
            Assert.False(store.ContainsKey("new"));
            tx.Commit();
        }
        Assert.Equal(["keep", "new"], store.Scan().Select(e => e.KeyString));
    }
}
