using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using TypedSkv.Redis;
using TypedSkv.Tool.Commands;
using TypedSkv.Typed.Tests;
using Xunit.Abstractions;

namespace TypedSkv.Redis.Tests;

/// <summary>
/// A primary of a 3 + 3 Redis Cluster SIGKILLed during a typed workload, a backup and a restore. One cluster for the
/// class; each test heals it (restarts the killed node, which rejoins as a replica) before the next.
/// </summary>
public sealed class FailoverTests(RedisFailoverClusterFixture cluster, ITestOutputHelper output) : IClassFixture<RedisFailoverClusterFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private static void WaitUntil(Func<bool> condition, string what, int seconds = 60)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting until " + what);
            Thread.Sleep(10);
        }
    }

    [Fact]
    public async Task Typed_writes_with_WaitReplicas_fail_retryably_and_none_acknowledged_is_lost_when_their_primary_is_killed()
    {
        cluster.Heal();
        using var storage = cluster.Connect(new RedisSkvOptions { WaitReplicas = 1 }, Timeout);
        storage.Clear();
        var db = new TestDb(storage);
        var acknowledged = new ConcurrentQueue<long>();
        var missingOnRead = new ConcurrentQueue<long>();
        var failures = new ConcurrentQueue<(Exception Error, TimeSpan Took)>();
        var slowest = TimeSpan.Zero;
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            var acknowledgedHere = new HashSet<long>();
            for (long seq = 0; !stop.IsCancellationRequested; seq++)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    db.Events.Put(new Event(seq, "k" + seq));
                    acknowledged.Enqueue(seq);
                    acknowledgedHere.Add(seq);
                    // read an acknowledged write back, across the failover too: there or a retryable error, never gone
                    long earlier = seq / 2;
                    if (acknowledgedHere.Contains(earlier) && db.Events.Get(earlier) is null) missingOnRead.Enqueue(earlier);
                }
                catch (Exception ex)
                {
                    failures.Enqueue((ex, clock.Elapsed));
                }
                if (clock.Elapsed > slowest) slowest = clock.Elapsed;
            }
        });
        try
        {
            WaitUntil(() => acknowledged.Count >= 200 || writer.IsCompleted, "200 writes were acknowledged");
            var killed = cluster.KillPrimaryOf("{events}");
            int atKill = acknowledged.Count;
            cluster.WaitForFailover("{events}", killed);
            // the replica that took over has no replica of its own until the killed node is back: writes are applied
            // but not confirmed (SkvReplicationException) until then; they resume once it is back
            cluster.Heal();
            WaitUntil(() => acknowledged.Count >= atKill + 200 || writer.IsCompleted, "200 more writes were acknowledged after the failover");
            stop.Cancel();
            await writer;

            // every failure was a retryable TypedSkv exception, none a hang past the timeouts of the commands of one Put
            Assert.All(failures, f => Assert.True(f.Error is SkvException { IsRetryable: true }, f.Error.ToString()));
            // a generous bound (a Put is up to four commands, each bounded by the timeout): the point is that none hangs
            Assert.True(slowest < 10 * Timeout, $"a Put took {slowest}");
            Assert.True(missingOnRead.IsEmpty, $"acknowledged writes read back as missing: {string.Join(", ", missingOnRead.Take(5))}");

            // every write acknowledged with WaitReplicas = 1 reached the replica that is now the primary
            using var after = cluster.Connect(timeout: Timeout);
            var events = new TestDb(after).Events;
            var lost = acknowledged.Where(seq => events.Get(seq) is null).ToList();
            output.WriteLine($"{acknowledged.Count} acknowledged, {failures.Count} failed ({string.Join(", ", failures.GroupBy(f => f.Error.GetType().Name).Select(g => $"{g.Count()} {g.Key}"))}), slowest {slowest}");
            Assert.True(lost.Count == 0, $"{lost.Count} of {acknowledged.Count} acknowledged writes lost, e.g. {string.Join(", ", lost.Take(5))}; failures: {failures.Count}");
        }
        finally
        {
            stop.Cancel();
        }
    }

    [Fact]
    public async Task Async_and_batched_writes_with_WaitReplicas_succeed_when_confirmed_and_throw_SkvReplicationException_when_not()
    {
        // every primary has one replica: WaitReplicas = 1 is confirmed, WaitReplicas = 2 never is
        cluster.Heal();
        using (var confirmed = cluster.Connect(new RedisSkvOptions { WaitReplicas = 1 }, Timeout))
        {
            confirmed.Clear();
            var db = new TestDb(confirmed);
            await db.Events.PutAsync(new Event(1, "a"));
            db.Events.PutMany([new Event(2, "b"), new Event(3, "c")]);
            await db.Events.PutManyAsync([new Event(4, "d")]);
            await confirmed.PutAsync("raw/1"u8.ToArray(), "v"u8.ToArray());
            Assert.True(await confirmed.DeleteAsync("raw/1"u8.ToArray()));
            Assert.Equal(4, await db.Events.CountAsync());
        }

        using var storage = cluster.Connect(new RedisSkvOptions { WaitReplicas = 2, WaitReplicasTimeout = TimeSpan.FromMilliseconds(100) }, Timeout);
        var events = new TestDb(storage).Events;
        void NotConfirmed(SkvReplicationException error)
        {
            Assert.True(error.IsRetryable);
            Assert.Equal((2, 1), (error.RequiredReplicas, error.ConfirmedReplicas)); // the one replica confirmed
            Assert.Contains("applied on the primary", error.Message);
        }
        NotConfirmed(await Assert.ThrowsAsync<SkvReplicationException>(() => events.PutAsync(new Event(5, "e"))));
        NotConfirmed(Assert.Throws<SkvReplicationException>(() => events.PutMany([new Event(6, "f"), new Event(7, "g")])));
        NotConfirmed(await Assert.ThrowsAsync<SkvReplicationException>(() => events.PutManyAsync([new Event(8, "h")])));
        NotConfirmed(await Assert.ThrowsAsync<SkvReplicationException>(() => storage.PutAsync("raw/2"u8.ToArray(), "v"u8.ToArray()).AsTask()));
        NotConfirmed(await Assert.ThrowsAsync<SkvReplicationException>(async () =>
        {
            using var tx = await storage.BeginWriteAsync();
            tx.Put("raw/3"u8, "v"u8);
            await tx.CommitAsync();
        }));
        // applied on the primaries, as the message says
        Assert.All(await events.GetManyAsync([5, 6, 7, 8]), e => Assert.NotNull(e));
        Assert.NotNull(await storage.GetAsync("raw/2"u8.ToArray()));
        Assert.NotNull(await storage.GetAsync("raw/3"u8.ToArray()));
    }

    /// <summary>Collections of several slots, so that a backup or restore spans every primary.</summary>
    private static string WriteSource(TempDir dir, int records)
    {
        string source = dir.File("source.skv");
        using (var store = SkvStore.Open(source, new SkvOptions { Durability = SkvDurability.None }))
        {
            var value = new byte[200];
            using var tx = store.BeginTransaction();
            for (int i = 0; i < records; i++)
            {
                BitConverter.TryWriteBytes(value, i);
                tx.Put(Encoding.UTF8.GetBytes($"c{i % 16}/{i:D8}"), value);
            }
            tx.Commit();
            store.Backup(dir.File("source.json"));
        }
        return dir.File("source.json");
    }

    [Fact]
    public void A_backup_during_the_kill_of_a_primary_fails_with_exit_2_and_runs_again_after_the_failover()
    {
        cluster.Heal();
        using var dir = new TempDir();
        string source = WriteSource(dir, 20_000);
        // connected before the kill and used after the failover: its view of the cluster is older than the failover
        using var longLived = cluster.Connect(new RedisSkvOptions { WaitReplicas = 1 }, Timeout);
        longLived.Clear();
        SkvBackup.Restore(longLived, source); // every chunk confirmed on a replica (WAIT at the end)

        // the backup kills the primary of the collection it reads next, half-way through the collections
        RedisProcess? killed = null;
        int reads = 0;
        RedisBackupView.BeforeAtomicRead.Value = (tag, _) =>
        {
            if (++reads == 8 && killed is null) killed = cluster.KillPrimaryOf("{" + Encoding.UTF8.GetString(tag) + "}");
        };
        var first = new Cli();
        int code;
        try
        {
            code = first.Backup(cluster.Uri, dir.File("live.json"));
        }
        finally
        {
            RedisBackupView.BeforeAtomicRead.Value = null;
        }
        Assert.NotNull(killed);
        // either it failed (exit 2, no file) or the client found the replica that took over in time and it finished
        Assert.True(code is 0 or 2, first.ToString());
        output.WriteLine($"backup during the kill: exit {code}: {first.Err}");
        if (code == 2)
        {
            Assert.Contains("error: redis:", first.Err.ToString());
            Assert.False(File.Exists(dir.File("live.json")), "a failed backup left its file");
        }

        cluster.WaitForFailover("{c0}", killed);
        // run again: the replica that took over serves the collection; the file holds exactly what was restored
        var again = new Cli();
        Assert.True(again.Backup(cluster.Uri, dir.File("live.json")) == 0, again.ToString());
        Assert.True(again.Verify(dir.File("live.json"), cluster.Uri) == 0, again.ToString());
        using (var reference = SkvStore.Open(dir.File("reference.skv")))
        {
            SkvBackup.Restore(reference, source);
            Assert.True(SkvBackup.Verify(dir.File("live.json"), reference).Ok);
            // the connection made before the kill backs up the cluster as it is now too
            SkvBackup.Backup(longLived, dir.File("long-lived.json"));
            Assert.True(SkvBackup.Verify(dir.File("long-lived.json"), reference).Ok);
        }
    }

    [Fact]
    public async Task A_restore_during_the_kill_of_a_primary_fails_with_exit_2_and_a_repeat_completes_it()
    {
        cluster.Heal();
        using var dir = new TempDir();
        string source = WriteSource(dir, 150_000);
        using (var storage = cluster.Connect(timeout: Timeout)) storage.Clear();
        // the node that will be killed: the primary of c0, where the restore writes a sixteenth of the records
        var victim = cluster.PrimaryOf("{c0}");

        var cli = new Cli();
        var restore = Task.Run(() => cli.Restore(cluster.Uri, source));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!restore.IsCompleted && long.Parse(victim.Cli("dbsize").Trim()) < 1000 && DateTime.UtcNow < deadline) await Task.Delay(10);
        Assert.False(restore.IsCompleted, "the restore finished before the kill: " + cli);
        var killed = cluster.KillPrimaryOf("{c0}");
        Assert.Same(victim, killed);
        int code = await restore.WaitAsync(TimeSpan.FromSeconds(60));
        // either it failed part way (exit 2, saying how to finish) or the client found the new primary in time
        Assert.True(code is 0 or 2, cli.ToString());
        output.WriteLine($"restore during the kill: exit {code}: {cli.Err}");
        if (code == 2) Assert.Contains("run the same restore again", cli.Err.ToString());

        cluster.WaitForFailover("{c0}", killed);
        // the primary that took over has no replica until the killed node is back: a restore that waits for one fails
        var unconfirmed = new Cli();
        Assert.True(RestoreCommand.Run(unconfirmed.Out, unconfirmed.Err, cluster.Uri, source, waitReplicas: 1) == 2, unconfirmed.ToString());
        Assert.Contains("not confirmed on the replicas", unconfirmed.Err.ToString());
        cluster.Heal();
        // the same restore again, this time waiting for a replica of every primary: complete and on the replicas
        var again = new Cli();
        Assert.True(RestoreCommand.Run(again.Out, again.Err, cluster.Uri, source, waitReplicas: 1) == 0, again.ToString());
        Assert.True(again.Verify(source, cluster.Uri) == 0, again.ToString());
    }
}

/// <summary>A single server killed under a connected storage: every operation fails with SkvUnavailableException, within the timeout.</summary>
public sealed class ServerDownTests
{
    [Fact]
    public void Typed_reads_writes_and_scans_of_a_killed_server_throw_a_retryable_SkvUnavailableException_within_the_timeout()
    {
        using var server = new RedisProcess(cluster: false);
        var timeout = TimeSpan.FromSeconds(1);
        using var storage = RedisSkvStorage.Connect($"redis://127.0.0.1:{server.Port}", timeout);
        var db = new TestDb(storage);
        db.Events.Put(new Event(1, "a"));
        server.Kill();

        void Fails(string what, Action operation)
        {
            var clock = Stopwatch.StartNew();
            var error = Assert.ThrowsAny<SkvException>(operation);
            Assert.True(error is SkvUnavailableException { IsRetryable: true }, $"{what}: {error}");
            Assert.StartsWith("redis: the server is unavailable", error.Message);
            Assert.DoesNotContain("Please take a look", error.Message);
            // a generous bound: the point is that nothing hangs once the connection's timeout has passed
            Assert.True(clock.Elapsed < 10 * timeout, $"{what} took {clock.Elapsed}");
        }
        Fails("Put", () => db.Events.Put(new Event(2, "b")));
        Fails("Get", () => db.Events.Get(1));
        Fails("Delete", () => db.Events.Delete(1));
        Fails("All", () => db.Events.All().ToList());
        Fails("raw Put", () => storage.Put("raw/1"u8, "v"u8));
        Fails("Count", () => storage.Count());
        // the batches and the async API: the pipelined MGETs, scans and MULTI/EXECs map the same errors
        Fails("GetMany", () => db.Events.GetMany([1, 2]));
        Fails("PutMany", () => db.Events.PutMany([new Event(3, "c")]));
        Fails("DeleteMany", () => db.Events.DeleteMany([1]));
        Fails("GetAsync", () => db.Events.GetAsync(1).AsTask().GetAwaiter().GetResult());
        Fails("PutAsync", () => db.Events.PutAsync(new Event(2, "b")).GetAwaiter().GetResult());
        Fails("DeleteAsync", () => db.Events.DeleteAsync(1).GetAwaiter().GetResult());
        Fails("PutManyAsync", () => db.Events.PutManyAsync([new Event(3, "c")]).GetAwaiter().GetResult());
        Fails("AllAsync", () => db.Events.AllAsync().ToBlockingList());
        Fails("CountAsync", () => db.Events.CountAsync().AsTask().GetAwaiter().GetResult()); // GetAsync of the counter
        Fails("raw PutAsync", () => storage.PutAsync("raw/1"u8.ToArray(), "v"u8.ToArray()).AsTask().GetAwaiter().GetResult());
        Fails("raw DeleteAsync", () => storage.DeleteAsync("raw/1"u8.ToArray()).AsTask().GetAwaiter().GetResult());
        Fails("raw ScanRangeAsync (every tag)", () => storage.ScanRangeAsync(null, null).ToBlockingList());
        Fails("CommitAsync", () =>
        {
            using var tx = storage.BeginWrite();
            tx.Put("raw/2"u8, "v"u8);
            tx.CommitAsync().GetAwaiter().GetResult();
        });
    }

    [Fact]
    public void Retryable_errors_say_so()
    {
        Assert.True(new SkvTransactionConflictException("x").IsRetryable);
        Assert.True(new SkvUnavailableException("x", null).IsRetryable);
        Assert.True(new SkvReplicationException("x", 1, 0).IsRetryable);
        Assert.True(new SkvWriteLockTimeoutException("a.skv", TimeSpan.FromSeconds(1)).IsRetryable);
        Assert.False(new SkvKeyNotFoundException("k"u8).IsRetryable);
        Assert.False(new SkvException("x").IsRetryable);
    }
}

internal static class AsyncEnumerableTestExtensions
{
    /// <summary>Reads an async sequence to its end on the calling thread (the failure, if any, as thrown).</summary>
    public static List<T> ToBlockingList<T>(this IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        var e = source.GetAsyncEnumerator();
        try
        {
            while (e.MoveNextAsync().AsTask().GetAwaiter().GetResult()) list.Add(e.Current);
        }
        finally
        {
            e.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        return list;
    }
}
