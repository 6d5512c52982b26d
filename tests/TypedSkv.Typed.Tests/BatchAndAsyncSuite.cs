namespace TypedSkv.Typed.Tests;

/// <summary>
/// Batches (GetMany/PutMany/DeleteMany) and the asynchronous API of the typed collections, written against the storage
/// seam and run against every backend: the embedded store here, Garnet, redis-server and Redis Cluster in
/// TypedSkv.Redis.Tests (which compiles this file too).
/// </summary>
public abstract class BatchAndAsyncSuite
{
    /// <summary>A database over an empty storage.</summary>
    protected abstract TestDb Open();

    private static User U(int id, string? city = null) => new(id, "user" + id, $"u{id}@x.io", city);

    [Fact]
    public async Task Async_index_lookups_answer_as_the_synchronous_ones()
    {
        using var db = Open();
        for (int i = 1; i <= 7; i++) db.Users.Put(U(i, i % 2 == 0 ? "Oslo" : i < 5 ? "Bergen" : "Rome"));
        db.Users.Put(U(8) with { Email = "u1@x.io.extra" }); // a longer unique value beside u1@x.io

        Assert.Equal([2, 4, 6], (await db.Users.ByCity.FindAsync("Oslo")).Select(u => u.Id));
        Assert.Equal(db.Users.ByCity.Find("Bergen").Select(u => u.Id), (await db.Users.ByCity.FindAsync("Bergen")).Select(u => u.Id));
        Assert.Empty(await db.Users.ByCity.FindAsync("Osl"));
        Assert.Equal(1, (await db.Users.ByEmail.GetAsync("u1@x.io"))!.Id);
        Assert.Equal([1], (await db.Users.ByEmail.FindAsync("u1@x.io")).Select(u => u.Id));
        Assert.Null(await db.Users.ByEmail.GetAsync("nobody@x.io"));
        Assert.True(await db.Users.ByCity.ExistsAsync("Rome"));
        Assert.False(await db.Users.ByCity.ExistsAsync("Paris"));
        Assert.True(await db.Users.ByEmail.ExistsAsync("u8@x.io") == false && await db.Users.ByEmail.ExistsAsync("u1@x.io.extra"));

        var page = await db.Users.ByCity.RangeAsync("A", "Z", limit: 4);
        Assert.Equal(["Bergen", "Bergen", "Oslo", "Oslo"], page.Items.Select(u => u.City));
        var rest = await db.Users.ByCity.RangeAsync("A", "Z", after: page.Next);
        Assert.Null(rest.Next);
        Assert.Equal(db.Users.ByCity.Range("A", "Z").Items.Select(u => u.Id), page.Items.Concat(rest.Items).Select(u => u.Id));
    }

    [Fact]
    public void Find_on_a_unique_index_returns_that_value_only_not_longer_values_it_is_a_prefix_of()
    {
        using var db = Open();
        db.Users.Put(U(1) with { Email = "a@x" });
        db.Users.Put(U(2) with { Email = "a@x.io" });
        Assert.Equal([1], db.Users.ByEmail.Find("a@x").Select(u => u.Id));
        using var tx = db.BeginWrite();
        Assert.Equal([1], db.Users.ByEmail.Find(tx, "a@x").Select(u => u.Id));
        Assert.Equal(2, db.Users.ByEmail.Get(tx, "a@x.io")!.Id);
    }

    [Fact]
    public void GetMany_returns_the_records_in_the_order_of_the_keys_with_null_for_missing_ones()
    {
        using var db = Open();
        for (int i = 1; i <= 5; i++) db.Users.Put(U(i));
        var got = db.Users.GetMany([4, 9, 1, 4, 0]);
        Assert.Equal(["user4", null, "user1", "user4", null], got.Select(u => u?.Name));
        Assert.Empty(db.Users.GetMany([]));
    }

    [Fact]
    public void PutMany_writes_records_index_entries_and_the_count_in_one_batch()
    {
        using var db = Open();
        db.Users.Put(U(1, "Oslo"));
        // 1 is replaced (its old email and city entries go), 2 appears twice (the later wins), 3 is new
        db.Users.PutMany([U(1, "Rome") with { Email = "one@x.io" }, U(2, "Oslo"), U(3), U(2, "Rome")]);
        Assert.Equal(3, db.Users.Count());
        Assert.Equal(3, db.Users.CountByScan());
        Assert.Null(db.Users.ByEmail.Get("u1@x.io"));
        Assert.Equal(1, db.Users.ByEmail.Get("one@x.io")!.Id);
        Assert.Equal([1, 2], db.Users.ByCity.Find("Rome").Select(u => u.Id));
        Assert.Empty(db.Users.ByCity.Find("Oslo"));
        Assert.Equal(3, db.Users.ByEmail.Get("u3@x.io")!.Id);

        // a collection without indexes, over more than one page of keys
        db.Events.PutMany(Enumerable.Range(0, 1500).Select(i => new Event(i, "k" + i)));
        Assert.Equal(1500, db.Events.Count());
        Assert.Equal(Enumerable.Range(0, 1500).Select(i => "k" + i), db.Events.GetMany(Enumerable.Range(0, 1500).Select(i => (long)i)).Select(e => e!.Kind));
        db.Events.PutMany([]);
        Assert.Equal(1500, db.Events.Count());
    }

    [Fact]
    public void PutMany_with_a_unique_violation_writes_nothing()
    {
        using var db = Open();
        db.Users.Put(U(1));
        var ex = Assert.Throws<SkvUniqueIndexException>(() => db.Users.PutMany([U(2), U(3) with { Email = "u1@x.io" }, U(4)]));
        Assert.Contains("u1@x.io", ex.Message);
        Assert.All(db.Users.GetMany([2, 3, 4]), Assert.Null);
        Assert.Equal(1, db.Users.Count());
        // two records of the batch claiming one email
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.PutMany([U(5) with { Email = "same@x.io" }, U(6) with { Email = "same@x.io" }]));
        Assert.Null(db.Users.ByEmail.Get("same@x.io"));
        Assert.Equal(1, db.Users.Count());
        Assert.Throws<ArgumentNullException>(() => db.Users.PutMany([U(7), null!]));
        Assert.Null(db.Users.Get(7));
    }

    [Fact]
    public void DeleteMany_removes_records_and_their_index_entries_and_counts_the_ones_that_existed()
    {
        using var db = Open();
        db.Users.PutMany(Enumerable.Range(1, 6).Select(i => U(i, i % 2 == 0 ? "Even" : "Odd")));
        Assert.Equal(3, db.Users.DeleteMany([2, 4, 4, 99, 5]));
        Assert.Equal([1, 3, 6], db.Users.All().Select(u => u.Id));
        Assert.Equal(3, db.Users.Count());
        Assert.Equal([6], db.Users.ByCity.Find("Even").Select(u => u.Id));
        Assert.Null(db.Users.ByEmail.Get("u2@x.io"));
        Assert.Equal(0, db.Users.DeleteMany([]));
    }

    [Fact]
    public async Task Async_single_operations_behave_like_the_synchronous_ones()
    {
        using var db = Open();
        await db.Users.InsertAsync(U(1, "Oslo"));
        await Assert.ThrowsAsync<SkvKeyExistsException>(() => db.Users.InsertAsync(U(1)));
        Assert.False(await db.Users.TryInsertAsync(U(1)));
        Assert.True(await db.Users.TryInsertAsync(U(2)));
        await Assert.ThrowsAsync<SkvKeyNotFoundException>(() => db.Users.UpdateAsync(U(3)));
        Assert.False(await db.Users.TryUpdateAsync(U(3)));
        await db.Users.UpdateAsync(U(1, "Rome") with { Name = "Ann" });
        Assert.True(await db.Users.TryUpdateAsync(U(2, "Rome")));
        await db.Users.PutAsync(U(3));
        await Assert.ThrowsAsync<SkvUniqueIndexException>(() => db.Users.PutAsync(U(4) with { Email = "u3@x.io" }));

        Assert.Equal("Ann", (await db.Users.GetAsync(1))!.Name);
        Assert.Null(await db.Users.GetAsync(4));
        Assert.Equal([1, 2], db.Users.ByCity.Find("Rome").Select(u => u.Id));
        Assert.Equal(3, db.Users.Count());
        Assert.Equal(3, await db.Users.CountAsync());

        Assert.True(await db.Users.DeleteAsync(1));
        Assert.False(await db.Users.DeleteAsync(1));
        Assert.Null(db.Users.ByEmail.Get("u1@x.io"));
        Assert.Equal([2], db.Users.ByCity.Find("Rome").Select(u => u.Id));
        Assert.Equal(2, db.Users.Count());
    }

    [Fact]
    public async Task Async_batches_and_scans_match_the_synchronous_ones()
    {
        using var db = Open();
        await db.Events.PutManyAsync(Enumerable.Range(0, 1200).Select(i => new Event(i, "k" + i)));
        Assert.Equal(1200, db.Events.Count());
        var got = await db.Events.GetManyAsync([5, 5000, 1199]);
        Assert.Equal(["k5", null, "k1199"], got.Select(e => e?.Kind));

        // more than two pages of the Redis scan (512 keys each)
        var all = new List<long>();
        await foreach (var e in db.Events.AllAsync()) all.Add(e.Seq);
        Assert.Equal(db.Events.All().Select(e => e.Seq), all);
        Assert.Equal(Enumerable.Range(0, 1200).Select(i => (long)i), all);
        var range = new List<long>();
        await foreach (var e in db.Events.RangeAsync(100, 700)) range.Add(e.Seq);
        Assert.Equal(Enumerable.Range(100, 600).Select(i => (long)i), range);

        Assert.Equal(600, await db.Events.DeleteManyAsync(Enumerable.Range(0, 600).Select(i => (long)i)));
        Assert.Equal(600, db.Events.Count());
        Assert.Null(db.Events.Get(0));

        await db.Users.PutManyAsync([U(1, "Oslo"), U(2, "Oslo")]);
        await Assert.ThrowsAsync<SkvUniqueIndexException>(() => db.Users.PutManyAsync([U(3), U(4) with { Email = "u1@x.io" }]));
        Assert.Null(db.Users.Get(3));
        Assert.Equal([1, 2], db.Users.ByCity.Find("Oslo").Select(u => u.Id));
    }

    [Fact]
    public async Task Many_outstanding_async_calls_each_get_their_own_result()
    {
        using var db = Open();
        // writes to different records, all in flight at once (each its own transaction; on Redis no conflicts:
        // the counter is an INCRBY), then reads of them all in flight at once
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => db.Events.PutAsync(new Event(i, "k" + i))));
        var reads = Enumerable.Range(0, 200).Select(i => db.Events.GetAsync(i).AsTask()).ToArray();
        var records = await Task.WhenAll(reads);
        Assert.Equal(Enumerable.Range(0, 200).Select(i => "k" + i), records.Select(r => r!.Kind));
        Assert.Equal(200, db.Events.Count());
        // indexed writes racing on the same unique value: exactly one wins (on Redis the others conflict, run again and fail)
        var racing = Enumerable.Range(1, 8).Select(i => db.Users.TryInsertAsync(U(i) with { Email = "race@x.io" })).ToArray();
        int failures = 0;
        foreach (var t in racing)
        {
            try { await t; }
            catch (SkvUniqueIndexException) { failures++; }
        }
        Assert.Equal(7, failures);
        Assert.Equal(1, db.Users.Count());
        Assert.NotNull(db.Users.ByEmail.Get("race@x.io"));
    }

    [Fact]
    public async Task A_cancelled_call_throws_and_writes_nothing()
    {
        using var db = Open();
        db.Users.Put(U(1));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Users.PutAsync(U(2), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Users.PutManyAsync([U(3), U(4)], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Users.DeleteAsync(1, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Users.DeleteManyAsync([1], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.GetAsync(1, cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => db.Users.GetManyAsync([1], cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in db.Users.AllAsync(cancelled.Token)) { }
        });
        Assert.Equal([1], db.Users.All().Select(u => u.Id));
        Assert.Equal(1, db.Users.Count());

        // cancelled between two pages of a scan: the enumeration stops there
        db.Events.PutMany(Enumerable.Range(0, 1100).Select(i => new Event(i, "k")));
        using var midway = new CancellationTokenSource();
        int seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in db.Events.AllAsync(midway.Token))
            {
                if (++seen == 600) midway.Cancel();
            }
        });
        Assert.InRange(seen, 600, 1099);
    }

    [Fact]
    public async Task A_cancelled_async_index_lookup_throws_on_every_backend()
    {
        using var db = Open();
        db.Users.Put(U(1, "Oslo"));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        // the embedded store answered these from its snapshot and ignored the token, unlike GetAsync and Redis
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByCity.FindAsync("Oslo", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByCity.ExistsAsync("Oslo", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByCity.RangeAsync("A", "Z", cancellationToken: cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByEmail.GetAsync("u1@x.io", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByEmail.FindAsync("u1@x.io", cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await db.Users.ByEmail.ExistsAsync("u1@x.io", cancelled.Token));
        Assert.Equal([1], (await db.Users.ByCity.FindAsync("Oslo")).Select(u => u.Id));
    }

    [Fact]
    public async Task A_transaction_commits_asynchronously_through_the_seam()
    {
        using var db = Open();
        var storage = db.Storage;
        using (var tx = await storage.BeginWriteAsync())
        {
            db.Users.Put(tx, U(1, "Oslo"));
            db.Events.Put(tx, new Event(1, "a"));
            await tx.CommitAsync();
        }
        Assert.Equal(1, db.Users.ByEmail.Get("u1@x.io")!.Id);
        Assert.Equal("a", db.Events.Get(1)!.Kind);

        // a cancelled commit writes nothing
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        using (var tx = await storage.BeginWriteAsync())
        {
            db.Users.Put(tx, U(2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tx.CommitAsync(cancelled.Token));
        }
        Assert.Null(db.Users.Get(2));

        // the seam's raw async members
        byte[] key = "raw/1"u8.ToArray();
        await storage.PutAsync(key, "v"u8.ToArray());
        Assert.Equal("v"u8.ToArray(), await storage.GetAsync(key));
        Assert.Equal(["v"u8.ToArray(), null], await storage.GetManyAsync([key, "raw/2"u8.ToArray()]));
        var scanned = new List<string>();
        await foreach (var e in storage.ScanPrefixAsync("raw/"u8.ToArray())) scanned.Add(e.KeyString);
        Assert.Equal(["raw/1"], scanned);
        Assert.True(await storage.DeleteAsync(key));
        Assert.False(await storage.DeleteAsync(key));
        Assert.Null(await storage.GetAsync(key));

        // the whole keyspace (every collection: on Redis a merge of every collection's sorted set) in key order
        db.Events.PutMany(Enumerable.Range(0, 700).Select(i => new Event(i, "e")));
        var whole = new List<byte[]>();
        await foreach (var e in storage.ScanRangeAsync(null, null)) whole.Add(e.Key.ToArray());
        Assert.Equal(storage.ScanRange(null, null).Select(e => e.Key.ToArray()), whole);
        Assert.True(whole.Count > 700);
        for (int i = 1; i < whole.Count; i++) Assert.True(whole[i - 1].AsSpan().SequenceCompareTo(whole[i]) < 0);
    }

    [Fact]
    public async Task Batches_inside_a_transaction_across_collections_commit_together()
    {
        using var db = Open();
        db.Users.Put(U(1, "Oslo"));
        using (var tx = await db.Storage.BeginWriteAsync())
        {
            db.Users.PutMany(tx, [U(1, "Rome"), U(2, "Rome")]);
            await db.Events.PutManyAsync(tx, [new Event(1, "a"), new Event(2, "b")]);
            Assert.Equal(["Rome", "Rome", null], db.Users.GetMany(tx, [1, 2, 3]).Select(u => u?.City));
            Assert.Equal(["b"], (await db.Events.GetManyAsync(tx, [2])).Select(e => e!.Kind));
            Assert.Null(db.Users.Get(2));                       // nothing visible before the commit
            Assert.Throws<SkvUniqueIndexException>(() => db.Users.PutMany(tx, [U(3) with { Email = "u1@x.io" }]));
            await tx.CommitAsync();
        }
        Assert.Equal([1, 2], db.Users.ByCity.Find("Rome").Select(u => u.Id));
        Assert.Empty(db.Users.ByCity.Find("Oslo"));
        Assert.Equal(2, db.Users.Count());
        Assert.Equal(2, db.Events.Count());
        Assert.Null(db.Users.Get(3));
    }

    [Fact]
    public async Task Reads_batched_in_a_transaction_are_its_reads()
    {
        using var db = Open();
        var storage = db.Storage;
        byte[] a = "raw/a"u8.ToArray(), b = "raw/b"u8.ToArray();
        storage.Put(a, "1"u8);
        using (var tx = storage.BeginWrite())
        {
            Assert.Equal(["1"u8.ToArray(), null], tx.GetMany([a, b]));
            tx.Put(b, "2"u8);
            Assert.Equal(["1"u8.ToArray(), "2"u8.ToArray()], await tx.GetManyAsync([a, b]));   // its own write
            Assert.Equal("2"u8.ToArray(), await tx.GetAsync(b));
            tx.Commit();
        }
        Assert.Equal("2"u8.ToArray(), await storage.GetAsync(b));
    }
}
