using System.Text;
using TypedSkv.Redis;
using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

public class RedisKeysTests
{
    [Theory]
    [InlineData("users/0001", "{users}users/0001")]
    [InlineData("users#email/a@x", "{users}users#email/a@x")]
    [InlineData("plain", "{plain}plain")]
    [InlineData("a{b}/c", "{a}a{b}/c")]
    [InlineData("/x", "{}/x")]
    public void Data_keys_carry_the_collection_as_hash_tag(string key, string redisKey)
    {
        byte[] k = Encoding.UTF8.GetBytes(key);
        byte[] dataKey = RedisKeys.DataKey(k);
        Assert.Equal(redisKey, Encoding.UTF8.GetString(dataKey));
        Assert.False(RedisKeys.TryParseIndexKey(dataKey, out _));
        Assert.True(RedisKeys.TryParseIndexKey(RedisKeys.IndexKeyOf(k), out var tag));
        Assert.Equal(key[..RedisKeys.TagLength(k)], Encoding.UTF8.GetString(tag));
    }
}

public sealed class GarnetStorageTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void A_key_read_by_a_transaction_and_changed_before_commit_is_a_conflict_and_nothing_is_written()
    {
        var storage = garnet.Storage;
        storage.Clear();
        storage.Put("c/1"u8, "a"u8);
        using var tx = storage.BeginWrite();
        Assert.True(tx.TryGet("c/1"u8, out var seen));
        Assert.Equal("a"u8.ToArray(), seen);
        tx.Put("c/2"u8, "written?"u8);
        storage.Put("c/1"u8, "b"u8); // another writer
        Assert.Throws<SkvTransactionConflictException>(tx.Commit);
        Assert.False(storage.ContainsKey("c/2"u8));

        using var absent = storage.BeginWrite();
        Assert.False(absent.TryGet("c/3"u8, out _));
        absent.Put("c/4"u8, "x"u8);
        storage.Put("c/3"u8, "appeared"u8);
        Assert.Throws<SkvTransactionConflictException>(absent.Commit);
        Assert.False(storage.ContainsKey("c/4"u8));
    }

    [Fact]
    public void A_write_batch_applies_puts_and_deletes_in_one_transaction()
    {
        var storage = garnet.Storage;
        storage.Clear();
        storage.Put("w/gone"u8, "x"u8);
        storage.Write(new SkvWriteBatch().Put("w/a", "1").Put("v/b", "2").Delete("w/gone"u8));
        Assert.Equal(["v/b", "w/a"], storage.ScanPrefix(default).Select(e => e.KeyString));
    }

    [Fact]
    public void Concurrent_indexed_writers_retry_conflicts_and_keep_the_unique_index_exact()
    {
        garnet.Storage.Clear();
        var db = new TestDb(garnet.Storage);
        // 4 threads rewrite the same 20 users with rotating e-mails: every commit reads the old record and the
        // index entries, so writers conflict and retry
        Parallel.For(0, 4, t =>
        {
            for (int round = 0; round < 15; round++)
                for (int id = 0; id < 20; id++)
                    db.Users.Put(new User(id, $"t{t}", $"{id}-{t}@x", t % 2 == 0 ? "Even" : "Odd"));
        });
        var users = db.Users.All().ToList();
        Assert.Equal(20, users.Count);
        foreach (var u in users) Assert.Equal(u.Id, db.Users.ByEmail.Get(u.Email)!.Id);
        // exactly one email entry and at most one city entry per user: nothing stale
        long indexEntries = garnet.Storage.ScanPrefix("users#"u8).LongCount();
        Assert.Equal(20 + users.Count(u => u.City is not null), indexEntries);
    }

    [Fact]
    public void Scans_without_a_collection_prefix_merge_every_collection_in_key_order()
    {
        var storage = garnet.Storage;
        storage.Clear();
        string[] keys = ["b/2", "a/1", "ab/1", "a#i/1", "a", "b", "abc", "a/0"];
        foreach (var k in keys) storage.Put(Encoding.UTF8.GetBytes(k), "v"u8);
        var ordinal = keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        Assert.Equal(ordinal, storage.ScanPrefix(default).Select(e => e.KeyString));
        Assert.Equal(ordinal.Where(k => k.StartsWith('a')), storage.ScanPrefix("a"u8).Select(e => e.KeyString));
        Assert.Equal(["a/0", "a/1", "ab/1"], storage.ScanRange("a/"u8.ToArray(), "abc"u8.ToArray()).Select(e => e.KeyString));
        Assert.Equal(keys.Length, storage.Count());
        foreach (var k in keys) Assert.True(storage.Delete(Encoding.UTF8.GetBytes(k)));
        Assert.Equal(0, storage.Count());
        Assert.Empty(storage.Tags());
    }
}

[Collection("cluster")]
public sealed class ClusterStorageTests(RedisClusterFixture cluster)
{
    [Fact]
    public void One_collection_lives_in_one_slot_and_a_transaction_across_collections_commits_per_slot()
    {
        var storage = cluster.Storage;
        storage.Clear();
        var db = new TestDb(storage);
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        var slots = new HashSet<int>();
        foreach (var key in storage.ScanPrefix("users"u8)) slots.Add(storage.Connection.HashSlot(RedisKeys.DataKey(key.Key.Span)));
        slots.Add(storage.Connection.HashSlot(RedisKeys.IndexKeyOf("users/"u8)));
        Assert.Single(slots);
        Assert.NotEqual(storage.Connection.HashSlot(RedisKeys.IndexKeyOf("users/"u8)), storage.Connection.HashSlot(RedisKeys.IndexKeyOf("events/"u8)));

        using (var tx = db.BeginWrite())
        {
            db.Users.Put(tx, new User(2, "Bob", "bob@x.io"));
            db.Events.Put(tx, new Event(1, "bob"));
            tx.Commit(); // two slots: two MULTI/EXECs
        }
        Assert.NotNull(db.Users.ByEmail.Get("bob@x.io"));
        Assert.NotNull(db.Events.Get(1));
    }

    [Fact]
    public void A_key_read_in_another_slot_and_changed_before_commit_stops_the_transaction()
    {
        var storage = cluster.Storage;
        storage.Clear();
        var db = new TestDb(storage);
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        using (var tx = db.BeginWrite())
        {
            Assert.NotNull(db.Users.Get(tx, 1));                  // read in the users slot
            db.Users.Put(new User(1, "Ann2", "ann@x.io"));        // another writer changes it
            db.Events.Put(tx, new Event(7, "after reading ann"));  // write in the events slot only
            Assert.Throws<SkvTransactionConflictException>(() => tx.Commit());
        }
        Assert.Null(db.Events.Get(7));
    }

    [Fact]
    public void An_applications_own_hash_tagged_keys_do_not_break_scans_counts_or_backups()
    {
        var storage = cluster.Storage;
        storage.Clear();
        var db = new TestDb(storage);
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io"));
        storage.Database.StringSet("{session}", "the application's own string");
        try
        {
            Assert.Equal(2, db.Users.Count());
            Assert.Equal([1, 2], db.Users.All().Select(u => u.Id));
            Assert.Equal(2, storage.ScanPrefix(default).Count(e => e.KeyString.StartsWith("users/", StringComparison.Ordinal)));
            Assert.Equal("the application's own string", (string?)storage.Database.StringGet("{session}"));
            storage.Database.StringSet("{cache}cache", "looks like a store key, is not one");
            storage.Clear(); // what restore --mode replace does
            Assert.Equal(0, db.Users.Count());
            Assert.Equal("the application's own string", (string?)storage.Database.StringGet("{session}"));
            Assert.Equal("looks like a store key, is not one", (string?)storage.Database.StringGet("{cache}cache"));
        }
        finally
        {
            storage.Database.KeyDelete("{session}");
            storage.Database.KeyDelete("{cache}cache");
        }
    }
}
