using System.Text;

namespace TypedSkv.Typed.Tests;

/// <summary>Count() is O(1): a per-collection counter every typed write updates in its own transaction (issue 15).</summary>
public sealed class CountTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string? Counter(TestDb db, string collection) => db.Store.GetStringOrDefault("$skv/count/" + collection);

    [Fact]
    public void The_counter_follows_inserts_updates_deletes_and_rolled_back_writes()
    {
        using var db = _temp.Open();
        Assert.Equal("0", Counter(db, "users"));
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        db.Users.Put(new User(1, "Anna", "ann@x.io"));          // an update: no change
        Assert.False(db.Users.TryInsert(new User(2, "B", "b@x.io")));
        Assert.Throws<SkvUniqueIndexException>(() => db.Users.Put(new User(3, "Cid", "ann@x.io")));
        using (var tx = db.BeginTransaction())
        {
            db.Users.Put(tx, new User(4, "Dee", "dee@x.io"));
            tx.Rollback();
        }
        db.Events.Put(new Event(1, "a"));                         // no indexes: counted too
        Assert.Equal("2", Counter(db, "users"));
        Assert.Equal(2, db.Users.Count());
        Assert.Equal(1, db.Events.Count());

        Assert.True(db.Users.Delete(1));
        Assert.False(db.Users.Delete(1));
        Assert.True(db.Events.Delete(1));
        Assert.Equal(1, db.Users.Count());
        Assert.Equal(0, db.Events.Count());
        Assert.Equal(db.Users.CountByScan(), db.Users.Count());
    }

    [Fact]
    public void Count_reads_the_counter_instead_of_scanning()
    {
        using var db = _temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Store.Put("$skv/count/users", "41");                  // a planted value shows what Count reads
        Assert.Equal(41, db.Users.Count());
        Assert.Equal(1, db.Users.CountByScan());
        db.Users.RebuildIndexes();                                // a repair recounts
        Assert.Equal(1, db.Users.Count());
    }

    [Fact]
    public void A_store_without_counters_is_counted_once_when_opened_for_writing()
    {
        using (var store = SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None }))
        {
            // records as a restore of a prefix backup (or a store from before counters) leaves them
            store.Put("events/0000000000000000001", """{"seq":1,"kind":"a"}""");
            store.Put("events/0000000000000000002", """{"seq":2,"kind":"b"}""");
        }
        using (var readOnly = TestDb.OpenReadOnly(_temp.Path))
        {
            Assert.Equal(2, readOnly.Events.Count()); // no counter yet: scanned
        }
        using var db = _temp.Open();
        Assert.Equal("2", Counter(db, "events"));
        db.Events.Put(new Event(3, "c"));
        Assert.Equal(3, db.Events.Count());
        Assert.Equal(Encoding.UTF8.GetBytes("3"), db.Store.Get("$skv/count/events"u8));
    }
}
