using System.Text;
using TypedSkv.Redis;
using TypedSkv.Tool.Commands;
using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

/// <summary>
/// Backups of a server that is being written: each collection in the file is the collection at one version of it.
/// Writers keep an invariant across pages (records written in pairs, in one transaction) that a torn read breaks.
/// </summary>
internal static class LiveBackup
{
    public const int Pairs = 400;   // up to 800 records: more than one page of 512
    public const int StaticRecords = 1500;

    public static byte[] A(int i) => Encoding.UTF8.GetBytes($"pairs/a{i:D4}");
    public static byte[] B(int i) => Encoding.UTF8.GetBytes($"pairs/b{i:D4}");

    public static void Seed(RedisSkvStorage storage)
    {
        storage.Clear();
        for (int i = 0; i < StaticRecords; i++) storage.Put(Encoding.UTF8.GetBytes($"static/{i:D5}"), Encoding.UTF8.GetBytes("v" + i));
        for (int i = 0; i < Pairs; i += 2) WritePair(storage, i, 0);
    }

    /// <summary>Both records of pair <paramref name="i"/> with the same value, in one transaction (one slot: one MULTI/EXEC).</summary>
    public static void WritePair(ISkvStorage storage, int i, long value)
    {
        using var tx = storage.BeginWrite();
        byte[] v = Encoding.UTF8.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture));
        tx.Put(A(i), v);
        tx.Put(B(i), v);
        tx.Commit();
    }

    public static void DeletePair(ISkvStorage storage, int i)
    {
        using var tx = storage.BeginWrite();
        tx.Delete(A(i));
        tx.Delete(B(i));
        tx.Commit();
    }

    /// <summary>
    /// Writes pairs continuously (inserts, overwrites and deletes: the collection's size changes) until the backup
    /// is done, and checks the backup file: every pair whole, with one value, and the static collection complete.
    /// </summary>
    public static void BackupWhileWriting(RedisSkvStorage storage, TempDir dir)
    {
        Seed(storage);
        long writes = 0;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var random = new Random(7);
            var present = new bool[Pairs];
            for (int i = 0; i < Pairs; i += 2) present[i] = true;
            while (!stop.IsCancellationRequested)
            {
                int i = random.Next(Pairs);
                if (present[i] && random.Next(2) == 0)
                {
                    DeletePair(storage, i);
                    present[i] = false;
                }
                else
                {
                    WritePair(storage, i, Interlocked.Read(ref writes));
                    present[i] = true;
                }
                Interlocked.Increment(ref writes);
            }
        });
        BackupResult result;
        long before, after;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Interlocked.Read(ref writes) < 100 && !writer.IsCompleted && DateTime.UtcNow < deadline) Thread.Yield();
            before = Interlocked.Read(ref writes);
            result = SkvBackup.Backup(storage, dir.File("live.json"));
            after = Interlocked.Read(ref writes);
        }
        finally
        {
            stop.Cancel();
        }
        writer.Wait();
        Assert.True(after > before, $"no write landed during the backup ({before} before, {after} after): the test proves nothing");

        using var copy = SkvStore.Open(dir.File("copy.skv"));
        var restored = SkvBackup.Restore(copy, dir.File("live.json"));
        Assert.Equal(result.Records, restored.Records);
        for (int i = 0; i < Pairs; i++)
        {
            bool hasA = copy.TryGet(A(i), out var a), hasB = copy.TryGet(B(i), out var b);
            Assert.True(hasA == hasB, $"pair {i} is torn in the backup: a {(hasA ? "present" : "missing")}, b {(hasB ? "present" : "missing")}");
            if (hasA) Assert.True(a.AsSpan().SequenceEqual(b), $"pair {i} is torn in the backup: a = {Encoding.UTF8.GetString(a!)}, b = {Encoding.UTF8.GetString(b!)}");
        }
        for (int i = 0; i < StaticRecords; i++) Assert.Equal("v" + i, copy.GetString($"static/{i:D5}"));
    }
}

[Collection("cluster")]
public sealed class ClusterLiveBackupTests(RedisClusterFixture cluster)
{
    [Fact]
    public void A_backup_of_the_cluster_under_continuous_writes_holds_each_collection_at_one_version()
    {
        using var dir = new TempDir();
        LiveBackup.BackupWhileWriting(cluster.Storage, dir);
    }
}

public sealed class RedisServerLiveBackupTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    [Fact]
    public void A_backup_of_a_server_under_continuous_writes_holds_each_collection_at_one_version()
    {
        using var dir = new TempDir();
        LiveBackup.BackupWhileWriting(redis.Storage, dir);
    }
}

public sealed class GarnetLiveBackupTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void A_collection_changed_between_two_pages_is_read_again_and_the_backup_holds_its_new_state()
    {
        var storage = garnet.Storage;
        LiveBackup.Seed(storage);
        using var dir = new TempDir();
        var attempts = new List<int>();
        RedisBackupView.BeforeAtomicRead.Value = (tag, attempt) =>
        {
            if (Encoding.UTF8.GetString(tag) != "static") return;
            attempts.Add(attempt);
            // between the first and the second page of the first attempt: one write to the collection
            if (attempts.Count == 2)
            {
                storage.Put("static/00000"u8, "changed"u8);
                storage.Put("static/new"u8, "added"u8);
            }
        };
        BackupResult result;
        try
        {
            result = SkvBackup.Backup(storage, dir.File("b.json"));
        }
        finally
        {
            RedisBackupView.BeforeAtomicRead.Value = null;
        }
        Assert.Contains(2, attempts); // read again
        Assert.Equal(LiveBackup.StaticRecords + 1 + LiveBackup.Pairs, result.Records); // the new key counted in total_records too
        using var copy = SkvStore.Open(dir.File("copy.skv"));
        SkvBackup.Restore(copy, dir.File("b.json"));
        Assert.Equal("changed", copy.GetString("static/00000"));
        Assert.Equal("added", copy.GetString("static/new"));
        Assert.Equal("v1499", copy.GetString("static/01499"));
    }

    [Fact]
    public void A_collection_that_changes_during_every_attempt_fails_the_backup_with_exit_2_and_no_file()
    {
        var storage = garnet.Storage;
        LiveBackup.Seed(storage);
        using var dir = new TempDir();
        int n = 0;
        RedisBackupView.BeforeAtomicRead.Value = (tag, _) =>
        {
            if (Encoding.UTF8.GetString(tag) == "pairs") storage.Put(Encoding.UTF8.GetBytes($"pairs/new{n++}"), "x"u8);
        };
        var cli = new Cli();
        int code;
        try
        {
            Assert.Throws<SkvTransactionConflictException>(() => SkvBackup.Backup(storage, dir.File("lib.json")));
            code = BackupCommand.Run(cli.Out, cli.Err, garnet.Uri, dir.File("cli.json"));
        }
        finally
        {
            RedisBackupView.BeforeAtomicRead.Value = null;
        }
        Assert.True(code == 2, cli.ToString());
        Assert.Contains("changed during each of 8 attempts", cli.Err.ToString());
        Assert.False(File.Exists(dir.File("lib.json")));
        Assert.False(File.Exists(dir.File("cli.json")));

        // with the writer gone, the same backup succeeds
        var again = new Cli();
        Assert.True(again.Backup(garnet.Uri, dir.File("cli.json")) == 0, again.ToString());
        Assert.True(again.Verify(dir.File("cli.json"), garnet.Uri) == 0, again.ToString());
    }
}

public sealed class VersionCounterTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void Every_kind_of_write_bumps_its_collections_version_counter_in_the_same_slot()
    {
        var storage = garnet.Storage;
        storage.Clear();
        Assert.Equal("{users}users~version", Encoding.UTF8.GetString(RedisKeys.VersionKey("users"u8)));
        Assert.Equal(RedisKeys.VersionKey("users"u8), RedisKeys.VersionKeyOf("users#email/a@x"u8));
        long Version(string tag) => (long?)storage.Database.StringGet(RedisKeys.VersionKey(Encoding.UTF8.GetBytes(tag))) ?? 0;

        storage.Put("other/1"u8, "o"u8);
        long other = Version("other");
        long v = Version("vc");
        void Bumped(string what, Action write)
        {
            write();
            long now = Version("vc");
            Assert.True(now > v, $"{what} did not bump the version ({v} -> {now})");
            v = now;
        }
        Bumped("Put", () => storage.Put("vc/1"u8, "a"u8));
        Bumped("TryInsert", () => Assert.True(storage.TryInsert("vc/2"u8, "b"u8)));
        Bumped("TryUpdate", () => Assert.True(storage.TryUpdate("vc/2"u8, "c"u8)));
        Bumped("Delete", () => Assert.True(storage.Delete("vc/2"u8.ToArray())));
        Bumped("transaction", () =>
        {
            using var tx = storage.BeginWrite();
            tx.Put("vc/4"u8, "x"u8);
            tx.Delete("vc/1"u8);
            tx.Commit();
        });
        Bumped("restore", () =>
        {
            using var sink = storage.BeginRestore();
            sink.Put("vc/3"u8, "d"u8);
            sink.Commit();
        });
        Assert.Equal(other, Version("other")); // a collection's writes do not touch another's counter
        Bumped("Clear", () => storage.Clear());
    }

    [Fact]
    public async Task Async_and_batched_writes_bump_their_collections_version_counter()
    {
        // the async writes (storage and typed) and the batches share the MULTI/EXEC builders of the synchronous ones:
        // each must bump the counter of the collection it writes, or a live backup would miss it
        var storage = garnet.Storage;
        storage.Clear();
        var db = new TestDb(storage);
        long Version(string tag) => (long?)storage.Database.StringGet(RedisKeys.VersionKey(Encoding.UTF8.GetBytes(tag))) ?? 0;
        storage.Put("other/1"u8, "o"u8);
        long other = Version("other");
        var seen = new Dictionary<string, long>();
        async Task Bumped(string tag, string what, Func<Task> write)
        {
            long before = seen.TryGetValue(tag, out long v) ? v : Version(tag);
            await write();
            long now = Version(tag);
            Assert.True(now > before, $"{what} did not bump the version of {tag} ({before} -> {now})");
            seen[tag] = now;
        }
        await Bumped("vc", "PutAsync", async () => await storage.PutAsync("vc/1"u8.ToArray(), "a"u8.ToArray()));
        await Bumped("vc", "DeleteAsync", async () => Assert.True(await storage.DeleteAsync("vc/1"u8.ToArray())));
        await Bumped("vc", "CommitAsync", async () =>
        {
            using var tx = await storage.BeginWriteAsync();
            tx.Put("vc/2"u8, "b"u8);
            await tx.CommitAsync();
        });
        await Bumped("events", "typed PutAsync", () => db.Events.PutAsync(new Event(1, "a")));
        await Bumped("events", "typed PutMany", () =>
        {
            db.Events.PutMany([new Event(2, "b"), new Event(3, "c")]);
            return Task.CompletedTask;
        });
        await Bumped("events", "typed PutManyAsync", () => db.Events.PutManyAsync([new Event(4, "d"), new Event(5, "e")]));
        await Bumped("events", "typed DeleteAsync", async () => Assert.True(await db.Events.DeleteAsync(1)));
        await Bumped("events", "typed DeleteMany", () =>
        {
            Assert.Equal(2, db.Events.DeleteMany([2, 3]));
            return Task.CompletedTask;
        });
        await Bumped("events", "typed DeleteManyAsync", async () => Assert.Equal(1, await db.Events.DeleteManyAsync([4])));
        Assert.Equal(other, Version("other")); // a collection's writes do not touch another's counter
        Assert.Equal([5L], db.Events.All().Select(e => e.Seq));
    }
}
