using System.Text;

namespace TypedSkv.Typed.Tests;

/// <summary>
/// The typed-accessor behaviour suite (CRUD, indexes, transactions, key order, binary keys), written against the
/// storage seam and run unchanged against every backend: one derived class per backend. The embedded store's class is
/// in this project; Garnet's and Redis Cluster's are in TypedSkv.Redis.Tests, which compiles this file too.
/// </summary>
public abstract class TypedAccessorSuite
{
    /// <summary>A database over an empty storage (<paramref name="fresh"/>) or over the same storage as the last call.</summary>
    protected abstract TestDb Open(bool fresh = true);

    /// <summary>Keys of records and index entries (the typed schema's own keys under "$skv/" left out).</summary>
    private static long KeyCount(TestDb db) => db.Storage.ScanPrefix(default).LongCount(e => !e.KeyString.StartsWith(TypedSkv.Typed.SkvSchema.KeyPrefix, StringComparison.Ordinal));

    private static void RawPut(TestDb db, string key, string value) => db.Storage.Put(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));

    [Fact]
    public void Insert_update_delete_semantics()
    {
        using var db = Open();
        var ann = new User(1, "Ann", "ann@x.io");
        db.Users.Insert(ann);
        Assert.Throws<SkvKeyExistsException>(() => db.Users.Insert(ann with { Name = "Other" }));
        Assert.False(db.Users.TryInsert(ann with { Name = "Other" }));
        Assert.Equal("Ann", db.Users.Get(1)!.Name);

        db.Users.Update(ann with { Name = "Anna" });
        Assert.Equal("Anna", db.Users.Get(1)!.Name);
        Assert.Throws<SkvKeyNotFoundException>(() => db.Users.Update(new User(2, "Bob", "bob@x.io")));
        Assert.False(db.Users.TryUpdate(new User(2, "Bob", "bob@x.io")));
        Assert.False(db.Users.Contains(2));
        Assert.Null(db.Users.ByEmail.Get("bob@x.io"));

        Assert.True(db.Users.TryGet(1, out var got));
        Assert.Equal("Anna", got.Name);
        Assert.True(db.Users.Delete(1));
        Assert.False(db.Users.Delete(1));
        Assert.False(db.Users.TryGet(1, out _));
        Assert.Equal(0, db.Users.Count());
        Assert.Equal(0, KeyCount(db)); // no index entries left behind

        db.Events.Insert(new Event(1, "a"));
        Assert.Throws<SkvKeyExistsException>(() => db.Events.Insert(new Event(1, "b")));
        Assert.False(db.Events.TryUpdate(new Event(2, "b")));
        Assert.True(db.Events.TryUpdate(new Event(1, "c")));
        Assert.Equal("c", db.Events.Get(1)!.Kind);
        Assert.True(db.Events.Delete(1));
        Assert.False(db.Events.Delete(1));
    }

    [Fact]
    public void Count_is_kept_by_every_write_and_survives_rolled_back_transactions()
    {
        using var db = Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        db.Users.Put(new User(1, "Anna", "ann@x.io"));
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(new User(3, "Cid", "ann@x.io")));
        using (var tx = db.BeginWrite())
        {
            db.Users.Put(tx, new User(4, "Dee", "dee@x.io"));
            db.Events.Put(tx, new Event(1, "a"));
            tx.Rollback();
        }
        using (var tx = db.BeginWrite())
        {
            db.Events.Put(tx, new Event(1, "a"));
            db.Events.Put(tx, new Event(2, "b"));
            db.Users.Delete(tx, 2);
            tx.Commit();
        }
        Assert.Equal(1, db.Users.Count());
        Assert.Equal(2, db.Events.Count());
        Assert.Equal(db.Events.CountByScan(), db.Events.Count());
        Assert.True(db.Events.Delete(1));
        Assert.Equal(1, db.Events.Count());
    }

    [Fact]
    public void Unique_index_follows_updates_and_deletes()
    {
        using var db = Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        Assert.Equal(1, db.Users.ByEmail.Get("ann@x.io")!.Id);

        db.Users.Put(new User(1, "Ann", "ann@new.io"));
        Assert.Null(db.Users.ByEmail.Get("ann@x.io"));
        Assert.Equal(1, db.Users.ByEmail.Get("ann@new.io")!.Id);

        db.Users.Delete(1);
        Assert.Null(db.Users.ByEmail.Get("ann@new.io"));
        Assert.Equal(2, db.Users.ByEmail.Get("bob@x.io")!.Id);

        db.Users.Put(new User(3, "Cid", "ann@new.io"));
        Assert.Equal(3, db.Users.ByEmail.Get("ann@new.io")!.Id);
    }

    [Fact]
    public void Unique_index_violation_throws_and_changes_nothing()
    {
        using var db = Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io", "Rome"));
        long keys = KeyCount(db);

        var ex = Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(new User(2, "Bob", "ann@x.io", "Oslo")));
        Assert.Equal("users", ex.Collection);
        Assert.Equal("Email", ex.Index);
        Assert.Equal("ann@x.io", ex.Value);
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Insert(new User(3, "Cid", "bob@x.io")));

        Assert.Equal(keys, KeyCount(db));
        Assert.Equal(new User(2, "Bob", "bob@x.io", "Rome"), db.Users.Get(2));
        Assert.Equal(2, db.Users.ByEmail.Get("bob@x.io")!.Id);
        Assert.Equal([2], db.Users.ByCity.Find("Rome").Select(u => u.Id));
        Assert.False(db.Users.Contains(3));
    }

    [Fact]
    public void Non_unique_index_finds_every_match_and_follows_changes()
    {
        using var db = Open();
        db.Users.Put(new User(3, "C", "c@x", "Oslo"));
        db.Users.Put(new User(1, "A", "a@x", "Oslo"));
        db.Users.Put(new User(2, "B", "b@x", "Rome"));
        db.Users.Put(new User(4, "D", "d@x", null));
        db.Users.Put(new User(5, "E", "e@x", "Oslo\0x"));
        db.Users.Put(new User(6, "F", "f@x", "Osl"));

        Assert.Equal([1, 3], db.Users.ByCity.Find("Oslo").Select(u => u.Id));
        Assert.Equal([5], db.Users.ByCity.Find("Oslo\0x").Select(u => u.Id));
        Assert.Equal([6], db.Users.ByCity.Find("Osl").Select(u => u.Id));

        db.Users.Put(new User(1, "A", "a@x", "Rome"));
        Assert.Equal([3], db.Users.ByCity.Find("Oslo").Select(u => u.Id));
        Assert.Equal([1, 2], db.Users.ByCity.Find("Rome").Select(u => u.Id));

        db.Users.Delete(2);
        Assert.Equal([1], db.Users.ByCity.Find("Rome").Select(u => u.Id));

        db.Docs.Put(new Doc("x", "", 2));
        db.Docs.Put(new Doc("y", "", -2));
        db.Docs.Put(new Doc("z", "", 2));
        Assert.Equal(["x", "z"], db.Docs.ByVersion.Find(2).Select(d => d.Path));
        Assert.Equal(["y"], db.Docs.ByVersion.Find(-2).Select(d => d.Path));
    }

    [Fact]
    public void Indexes_and_records_are_identical_after_reopen()
    {
        using (var db = Open())
        {
            for (int i = -5; i < 5; i++) db.Users.Put(new User(i, "n" + i, $"{i}@x", i % 2 == 0 ? "Even" : "Odd"));
            db.Users.Put(new User(0, "zero", "zero@x", "Odd"));
            db.Users.Delete(-5);
        }
        using (var db = Open(fresh: false))
        {
            Assert.Equal(Enumerable.Range(-4, 9), db.Users.All().Select(u => u.Id));
            Assert.Equal("zero", db.Users.ByEmail.Get("zero@x")!.Name);
            Assert.Null(db.Users.ByEmail.Get("0@x"));
            Assert.Null(db.Users.ByEmail.Get("-5@x"));
            Assert.Equal([-4, -2, 2, 4], db.Users.ByCity.Find("Even").Select(u => u.Id));
            Assert.Equal([-3, -1, 0, 1, 3], db.Users.ByCity.Find("Odd").Select(u => u.Id));
        }
    }

    [Fact]
    public void Transactions_commit_together_or_not_at_all()
    {
        using var db = Open();
        using (var tx = db.BeginWrite())
        {
            db.Users.Put(tx, new User(1, "Ann", "ann@x.io"));
            db.Events.Insert(tx, new Event(1, "user-created"));
            Assert.Equal("Ann", db.Users.Get(tx, 1)!.Name);
            Assert.Equal(1, db.Users.ByEmail.Get(tx, "ann@x.io")!.Id);
            Assert.Null(db.Users.Get(1));
            tx.Commit();
        }
        Assert.NotNull(db.Users.Get(1));
        Assert.NotNull(db.Events.Get(1));

        using (var tx = db.BeginWrite())
        {
            db.Users.Delete(tx, 1);
            db.Events.Update(tx, new Event(1, "changed"));
        }
        Assert.Equal(1, db.Users.ByEmail.Get("ann@x.io")!.Id);
        Assert.Equal("user-created", db.Events.Get(1)!.Kind);

        using (var tx = db.BeginWrite())
        {
            db.Users.Put(tx, new User(2, "Bob", "bob@x.io"));
            Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(tx, new User(3, "Cid", "bob@x.io")));
            tx.Commit();
        }
        Assert.Equal(2, db.Users.ByEmail.Get("bob@x.io")!.Id);
        Assert.False(db.Users.Contains(3));
    }

    [Fact]
    public void Index_lookups_inside_a_transaction_see_its_own_writes()
    {
        using var db = Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io", "Rome"));
        db.Users.Put(new User(3, "Cid", "cid@x.io", "Oslo"));
        using (var tx = db.BeginWrite())
        {
            db.Users.Put(tx, new User(4, "Dag", "dag@x.io", "Oslo"));      // added
            db.Users.Put(tx, new User(1, "Ann", "ann@x.io", "Bergen"));    // moved out of Oslo
            db.Users.Delete(tx, 2);                                        // Rome emptied

            Assert.Equal([3, 4], db.Users.ByCity.Find(tx, "Oslo").Select(u => u.Id));
            Assert.Equal([1, 3], db.Users.ByCity.Find("Oslo").Select(u => u.Id)); // outside: the committed state
            Assert.True(db.Users.ByCity.Exists(tx, "Bergen"));
            Assert.False(db.Users.ByCity.Exists("Bergen"));
            Assert.False(db.Users.ByCity.Exists(tx, "Rome"));
            Assert.True(db.Users.ByCity.Exists("Rome"));
            Assert.True(db.Users.ByEmail.Exists(tx, "dag@x.io"));
            Assert.False(db.Users.ByEmail.Exists(tx, "bob@x.io"));

            // ordered by the index, paged, with the transaction's writes in their places
            var page = db.Users.ByCity.Range(tx, "A", "P", limit: 2);
            Assert.Equal([1, 3], page.Items.Select(u => u.Id)); // Bergen, then Oslo in key order
            Assert.NotNull(page.Next);
            page = db.Users.ByCity.Range(tx, "A", "P", limit: 2, after: page.Next);
            Assert.Equal([4], page.Items.Select(u => u.Id));
            Assert.Null(page.Next);
            Assert.Equal([1, 3, 2], db.Users.ByCity.Range("A", "Z").Items.Select(u => u.Id));
            Assert.Equal(["ann@x.io", "cid@x.io", "dag@x.io"], db.Users.ByEmail.Range(tx, "a", "z").Items.Select(u => u.Email));
            tx.Commit();
        }
        Assert.Equal([3, 4], db.Users.ByCity.Find("Oslo").Select(u => u.Id));
    }

    [Fact]
    public void A_transaction_scan_sees_its_puts_and_deletes_in_key_order_and_refuses_writes_during_the_scan()
    {
        using var db = Open();
        RawPut(db, "scan/b", "1");
        RawPut(db, "scan/d", "2");
        RawPut(db, "scan/f", "3");
        using var tx = db.BeginWrite();
        tx.Put(Encoding.UTF8.GetBytes("scan/a"), Encoding.UTF8.GetBytes("new"));
        tx.Put(Encoding.UTF8.GetBytes("scan/d"), Encoding.UTF8.GetBytes("changed"));
        tx.Delete(Encoding.UTF8.GetBytes("scan/f"));
        tx.Put(Encoding.UTF8.GetBytes("scan/g"), Encoding.UTF8.GetBytes("last"));
        tx.Put(Encoding.UTF8.GetBytes("scan0"), Encoding.UTF8.GetBytes("outside"));
        var seen = tx.ScanRange(Encoding.UTF8.GetBytes("scan/"), Encoding.UTF8.GetBytes("scan0"))
            .Select(e => e.KeyString + "=" + e.GetValueString()).ToList();
        Assert.Equal(["scan/a=new", "scan/b=1", "scan/d=changed", "scan/g=last"], seen);
        Assert.Equal(3, db.Storage.ScanPrefix(Encoding.UTF8.GetBytes("scan/")).Count()); // nothing visible outside yet

        using var scan = tx.ScanRange(Encoding.UTF8.GetBytes("scan/"), null).GetEnumerator();
        Assert.True(scan.MoveNext());
        tx.Put(Encoding.UTF8.GetBytes("scan/c"), Encoding.UTF8.GetBytes("during"));
        Assert.Throws<InvalidOperationException>(() => scan.MoveNext());
    }

    [Fact]
    public void A_write_adds_index_entries_that_older_data_lacks()
    {
        using var db = Open();
        RawPut(db, "users/0000000001", """{"id":1,"name":"Ann","email":"ann@x.io","city":"Oslo"}""");
        RawPut(db, "users/0000000002", """{"id":2,"name":"Bob","email":"bob@x.io","city":"Oslo"}""");
        Assert.Null(db.Users.ByEmail.Get("ann@x.io"));

        db.Users.Put(db.Users.Get(1)! with { Name = "Anna" });
        Assert.Equal("Anna", db.Users.ByEmail.Get("ann@x.io")!.Name);
        Assert.Equal([1], db.Users.ByCity.Find("Oslo").Select(u => u.Id));

        RawPut(db, "users/0000000003", """{"id":3,"name":"Cid","email":"ann@x.io"}""");
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(db.Users.Get(3)!));
    }

    [Fact]
    public void RebuildIndexes_restores_missing_and_removes_stale_entries()
    {
        using var db = Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        foreach (var key in db.Storage.ScanPrefix(Encoding.UTF8.GetBytes(db.Users.IndexKeyPrefix)).Select(e => e.Key.ToArray()).ToList()) db.Storage.Delete(key);
        RawPut(db, "users#email/ghost@x.io", "users/0000000009");
        Assert.Null(db.Users.ByEmail.Get("ann@x.io"));

        Assert.Equal(3, db.Users.RebuildIndexes());
        Assert.Equal(1, db.Users.ByEmail.Get("ann@x.io")!.Id);
        Assert.Equal([1], db.Users.ByCity.Find("Oslo").Select(u => u.Id));
        Assert.Null(db.Users.ByEmail.Get("ghost@x.io"));
    }

    [Fact]
    public void Int_keys_scan_in_numeric_order_negatives_first()
    {
        using var db = Open();
        int[] ids = [10, -1, int.MaxValue, 0, int.MinValue, -1000, 3, 1_000_000, -2];
        foreach (int id in ids) db.Users.Put(new User(id, "u" + id, $"u{id}@x.io"));

        Assert.Equal(ids.Order(), db.Users.All().Select(u => u.Id));
        Assert.Equal([-2, -1, 0, 3], db.Users.Range(-2, 10).Select(u => u.Id));
        Assert.Equal(ids.Length, db.Users.Count());
    }

    [Fact]
    public void Long_keys_scan_in_numeric_order_across_pages()
    {
        using var db = Open();
        long[] seqs = [long.MaxValue, -5, 0, long.MinValue, 1L << 40, -(1L << 40), 7];
        foreach (long seq in seqs) db.Events.Put(new Event(seq, "k"));
        Assert.Equal(seqs.Order(), db.Events.All().Select(e => e.Seq));

        // more than one ZRANGEBYLEX page
        for (long i = 100; i < 1400; i++) db.Events.Put(new Event(i, "p"));
        Assert.Equal(seqs.Concat(Enumerable.Range(100, 1300).Select(i => (long)i)).Order(), db.Events.All().Select(e => e.Seq));
        Assert.Equal(Enumerable.Range(500, 600).Select(i => (long)i), db.Events.Range(500, 1100).Select(e => e.Seq));
    }

    [Fact]
    public void Composite_keys_sort_part_by_part()
    {
        using var db = Open();
        string[] orderNos = ["", "a", "a\0", "a\u0001", "a\0b", "ab", "b", "Z", "é"];
        var lines = new List<OrderLine>();
        foreach (int customer in new[] { 5, -3, 0 })
            foreach (string no in orderNos)
                foreach (int line in new[] { 2, -1, 10 })
                    lines.Add(new OrderLine(customer, no, line, customer + line));
        foreach (var l in lines.OrderBy(_ => Guid.NewGuid())) db.Lines.Put(l);

        var expected = lines
            .OrderBy(l => l.CustomerId)
            .ThenBy(l => Encoding.UTF8.GetBytes(l.OrderNo), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
            .ThenBy(l => l.Line)
            .ToList();
        Assert.Equal(expected, db.Lines.All().ToList());

        Assert.Equal(expected.Where(l => l.CustomerId == 0), db.Lines.WithCustomerId(0));
        Assert.Equal(expected.Where(l => l.CustomerId == 5 && l.OrderNo == "a"), db.Lines.WithCustomerIdAndOrderNo(5, "a"));
        Assert.Equal(new OrderLine(-3, "a\0b", 10, 7), db.Lines.Get(-3, "a\0b", 10));
        Assert.True(db.Lines.Contains(5, "", -1));
        Assert.True(db.Lines.Delete(5, "", -1));
        Assert.Null(db.Lines.Get((5, "", -1)));
        Assert.Equal(
            expected.Where(l => l.CustomerId == 0 && l.OrderNo is "a\0" or "a\0b"),
            db.Lines.Range((0, "a\0", int.MinValue), (0, "a\u0001", int.MinValue)));
    }

    [Fact]
    public void Kitchen_sink_round_trips_with_binary_blob()
    {
        using var db = Open();
        var sink = new KitchenSink
        {
            Id = Guid.NewGuid(), Flag = true, B = 255, Sb = -8, S = -300, Us = 60000, I = -7, Ui = 7, L = long.MinValue, Ul = ulong.MaxValue,
            F = 1.5f, D = -2.25, M = 12.345m, C = 'é', Text = "tëxt\0", When = new DateTime(2026, 11, 25, 1, 2, 3, DateTimeKind.Utc),
            Blob = [0, 0xFF, 0xFE, 0x80, 1], Tier = Tier.Enterprise, Perms = Perm.Read | Perm.Write, Numbers = [1, 2], Tags = ["a"],
            Counts = new() { ["x"] = 1 }, Original = "orig",
        };
        db.KitchenSink.Put(sink);
        var back = db.KitchenSink.Get(sink.Id)!;
        Assert.Equal(db.KitchenSink.ToJson(sink), db.KitchenSink.ToJson(back));
        Assert.Equal(sink.Blob, back.Blob);
    }

    [Fact]
    public void Binary_keys_and_values_are_byte_exact_and_ordered()
    {
        using var db = Open();
        var storage = db.Storage;
        byte[][] keys = [[(byte)'b', (byte)'/', 0xFF, 0x00], [(byte)'b', (byte)'/', 0x00], [(byte)'b', (byte)'/', 0x80, 0x7F], [(byte)'b', (byte)'/', 0xFF], [(byte)'b', (byte)'/']];
        foreach (var k in keys) storage.Put(k, [.. k, 0x00, 0xC3, 0x28]); // value: invalid UTF-8
        var scanned = storage.ScanPrefix("b/"u8).ToList();
        Assert.Equal(keys.OrderBy(k => k, Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y))).Select(Convert.ToHexString), scanned.Select(e => Convert.ToHexString(e.Key.Span)));
        foreach (var e in scanned) Assert.Equal([.. e.Key.ToArray(), 0x00, 0xC3, 0x28], e.GetValue());
        Assert.True(storage.TryGet(keys[0], out var v));
        Assert.Equal([.. keys[0], 0x00, 0xC3, 0x28], v);
        Assert.Equal(2, storage.ScanRange([(byte)'b', (byte)'/', 0x00], [(byte)'b', (byte)'/', 0xFF]).Count());
    }
}
