namespace TypedSkv.Typed.Tests;

public class CrudAndIndexTests
{
    [Fact]
    public void Insert_update_delete_semantics()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
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
        Assert.Null(db.Users.GetByEmail("bob@x.io"));

        Assert.True(db.Users.TryGet(1, out var got));
        Assert.Equal("Anna", got.Name);
        Assert.True(db.Users.Delete(1));
        Assert.False(db.Users.Delete(1));
        Assert.False(db.Users.TryGet(1, out _));
        Assert.Equal(0, db.Users.Count());
        Assert.Equal(0, db.Store.Count); // no index entries left behind

        // Same semantics without indexes (the direct store path).
        db.Events.Insert(new Event(1, "a"));
        Assert.Throws<SkvKeyExistsException>(() => db.Events.Insert(new Event(1, "b")));
        Assert.False(db.Events.TryUpdate(new Event(2, "b")));
        Assert.True(db.Events.TryUpdate(new Event(1, "c")));
        Assert.Equal("c", db.Events.Get(1)!.Kind);
    }

    [Fact]
    public void Unique_index_follows_updates_and_deletes()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        Assert.Equal(1, db.Users.GetByEmail("ann@x.io")!.Id);

        db.Users.Put(new User(1, "Ann", "ann@new.io"));
        Assert.Null(db.Users.GetByEmail("ann@x.io"));
        Assert.Equal(1, db.Users.GetByEmail("ann@new.io")!.Id);

        db.Users.Delete(1);
        Assert.Null(db.Users.GetByEmail("ann@new.io"));
        Assert.Equal(2, db.Users.GetByEmail("bob@x.io")!.Id);

        // The freed value can be taken by another record.
        db.Users.Put(new User(3, "Cid", "ann@new.io"));
        Assert.Equal(3, db.Users.GetByEmail("ann@new.io")!.Id);
    }

    [Fact]
    public void Unique_index_violation_throws_and_changes_nothing()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io", "Rome"));
        long keys = db.Store.Count;

        var ex = Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(new User(2, "Bob", "ann@x.io", "Oslo")));
        Assert.Equal("users", ex.Collection);
        Assert.Equal("Email", ex.Index);
        Assert.Equal("ann@x.io", ex.Value);
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Insert(new User(3, "Cid", "bob@x.io")));

        Assert.Equal(keys, db.Store.Count);
        Assert.Equal(new User(2, "Bob", "bob@x.io", "Rome"), db.Users.Get(2));
        Assert.Equal(2, db.Users.GetByEmail("bob@x.io")!.Id);
        Assert.Equal([2], db.Users.FindByCity("Rome").Select(u => u.Id));
        Assert.False(db.Users.Contains(3));
    }

    [Fact]
    public void Non_unique_index_finds_every_match_and_follows_changes()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(3, "C", "c@x", "Oslo"));
        db.Users.Put(new User(1, "A", "a@x", "Oslo"));
        db.Users.Put(new User(2, "B", "b@x", "Rome"));
        db.Users.Put(new User(4, "D", "d@x", null));         // null: not indexed
        db.Users.Put(new User(5, "E", "e@x", "Oslo\0x"));    // escaped bytes do not leak into "Oslo"
        db.Users.Put(new User(6, "F", "f@x", "Osl"));

        Assert.Equal([1, 3], db.Users.FindByCity("Oslo").Select(u => u.Id));
        Assert.Equal([5], db.Users.FindByCity("Oslo\0x").Select(u => u.Id));
        Assert.Equal([6], db.Users.FindByCity("Osl").Select(u => u.Id));

        db.Users.Put(new User(1, "A", "a@x", "Rome"));
        Assert.Equal([3], db.Users.FindByCity("Oslo").Select(u => u.Id));
        Assert.Equal([1, 2], db.Users.FindByCity("Rome").Select(u => u.Id));

        db.Users.Delete(2);
        Assert.Equal([1], db.Users.FindByCity("Rome").Select(u => u.Id));

        db.Docs.Put(new Doc("x", "", 2));
        db.Docs.Put(new Doc("y", "", -2));
        db.Docs.Put(new Doc("z", "", 2));
        Assert.Equal(["x", "z"], db.Docs.FindByVersion(2).Select(d => d.Path));
        Assert.Equal(["y"], db.Docs.FindByVersion(-2).Select(d => d.Path));
    }

    [Fact]
    public void Indexes_and_records_are_identical_after_reopen()
    {
        using var temp = new TempStore();
        using (var db = temp.Open())
        {
            for (int i = -5; i < 5; i++) db.Users.Put(new User(i, "n" + i, $"{i}@x", i % 2 == 0 ? "Even" : "Odd"));
            db.Users.Put(new User(0, "zero", "zero@x", "Odd"));
            db.Users.Delete(-5);
        }
        using (var db = temp.Open())
        {
            Assert.Equal(Enumerable.Range(-4, 9), db.Users.All().Select(u => u.Id));
            Assert.Equal("zero", db.Users.GetByEmail("zero@x")!.Name);
            Assert.Null(db.Users.GetByEmail("0@x"));
            Assert.Null(db.Users.GetByEmail("-5@x"));
            Assert.Equal([-4, -2, 2, 4], db.Users.FindByCity("Even").Select(u => u.Id));
            Assert.Equal([-3, -1, 0, 1, 3], db.Users.FindByCity("Odd").Select(u => u.Id));
        }
    }

    [Fact]
    public void Transactions_commit_together_or_not_at_all()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        using (var tx = db.BeginTransaction())
        {
            db.Users.Put(tx, new User(1, "Ann", "ann@x.io"));
            db.Events.Insert(tx, new Event(1, "user-created"));
            Assert.Equal("Ann", db.Users.Get(tx, 1)!.Name);      // the transaction sees its own writes
            Assert.Equal(1, db.Users.GetByEmail(tx, "ann@x.io")!.Id);
            Assert.Null(db.Users.Get(1));                           // others do not, until commit
            tx.Commit();
        }
        Assert.NotNull(db.Users.Get(1));
        Assert.NotNull(db.Events.Get(1));

        using (var tx = db.BeginTransaction())
        {
            db.Users.Delete(tx, 1);
            db.Events.Update(tx, new Event(1, "changed"));
            // disposed without Commit: rolled back
        }
        Assert.Equal(1, db.Users.GetByEmail("ann@x.io")!.Id);
        Assert.Equal("user-created", db.Events.Get(1)!.Kind);

        using (var tx = db.BeginTransaction())
        {
            db.Users.Put(tx, new User(2, "Bob", "bob@x.io"));
            Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(tx, new User(3, "Cid", "bob@x.io")));
            tx.Commit(); // the failed write left nothing behind in the transaction
        }
        Assert.Equal(2, db.Users.GetByEmail("bob@x.io")!.Id);
        Assert.False(db.Users.Contains(3));
    }

    [Fact]
    public void A_write_adds_index_entries_that_older_data_lacks()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        // Records written before the indexes existed (or restored without their index entries).
        db.Store.Put("users/0000000001", """{"id":1,"name":"Ann","email":"ann@x.io","city":"Oslo"}""");
        db.Store.Put("users/0000000002", """{"id":2,"name":"Bob","email":"bob@x.io","city":"Oslo"}""");
        Assert.Null(db.Users.GetByEmail("ann@x.io"));

        db.Users.Put(db.Users.Get(1)! with { Name = "Anna" });   // same indexed values as before
        Assert.Equal("Anna", db.Users.GetByEmail("ann@x.io")!.Name);
        Assert.Equal([1], db.Users.FindByCity("Oslo").Select(u => u.Id));

        // The unique check sees entries that exist even if the old record "should" own them.
        db.Store.Put("users/0000000003", """{"id":3,"name":"Cid","email":"ann@x.io"}""");
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(db.Users.Get(3)!));
    }

    [Fact]
    public void RebuildIndexes_restores_missing_and_removes_stale_entries()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        foreach (var key in db.Store.ScanPrefix(db.Users.IndexKeyPrefix).Select(e => e.Key.ToArray()).ToList()) db.Store.Delete(key);
        db.Store.Put("users#email/ghost@x.io", "users/0000000009");
        Assert.Null(db.Users.GetByEmail("ann@x.io"));

        Assert.Equal(3, db.Users.RebuildIndexes());
        Assert.Equal(1, db.Users.GetByEmail("ann@x.io")!.Id);
        Assert.Equal([1], db.Users.FindByCity("Oslo").Select(u => u.Id));
        Assert.Null(db.Users.GetByEmail("ghost@x.io"));
    }

    [Fact]
    public void Database_over_an_existing_store_leaves_it_open()
    {
        using var temp = new TempStore();
        using var store = SkvStore.Open(temp.Path, new SkvOptions { Durability = SkvDurability.None });
        using (var db = new TestDb(store))
        {
            db.Events.Put(new Event(1, "x"));
        }
        Assert.Equal(1, store.Count);
        Assert.Equal("""{"seq":1,"kind":"x"}""", store.GetString("events/0000000000000000001"));
    }
}
