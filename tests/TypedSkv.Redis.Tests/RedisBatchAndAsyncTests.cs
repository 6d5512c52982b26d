using System.Diagnostics;
using System.Text;
using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

/// <summary>The batch and async suite (tests/TypedSkv.Typed.Tests/BatchAndAsyncSuite.cs) over Garnet, one redis-server and Redis Cluster.</summary>
public sealed class GarnetBatchAndAsyncTests(GarnetFixture garnet) : BatchAndAsyncSuite, IClassFixture<GarnetFixture>
{
    protected override TestDb Open()
    {
        garnet.Storage.Clear();
        return new TestDb(garnet.Storage);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_key_read_with_GetMany_in_a_transaction_is_guarded_at_commit(bool useAsync)
    {
        // the batched reads of a transaction (what PutMany's prefetch uses) must be WATCHed like TryGet's
        var storage = garnet.Storage;
        storage.Clear();
        byte[] a = "raw/a"u8.ToArray(), b = "raw/b"u8.ToArray();
        storage.Put(a, "1"u8);
        using var tx = storage.BeginWrite();
        if (useAsync) await tx.GetManyAsync([a, b]);
        else tx.GetMany([a, b]);
        tx.Put(b, "from tx"u8);
        storage.Put(a, "changed"u8);                         // another client, after the read
        if (useAsync) await Assert.ThrowsAsync<SkvTransactionConflictException>(() => tx.CommitAsync());
        else Assert.Throws<SkvTransactionConflictException>(tx.Commit);
        Assert.False(storage.ContainsKey(b));
    }
}

[Collection("cluster")]
public sealed class RedisClusterBatchAndAsyncTests(RedisClusterFixture cluster) : BatchAndAsyncSuite
{
    protected override TestDb Open()
    {
        cluster.Storage.Clear();
        return new TestDb(cluster.Storage);
    }

    [Fact]
    public void Racing_indexed_writes_on_a_cluster_conflict_before_the_counter_is_incremented()
    {
        // Regression: a typed write on a cluster commits in two slots, the collection's (guarded by WATCH) and the
        // counter's ({$skv}, INCRBY, unguarded). The counter's part was sent first (tags in byte order: "$skv" <
        // "users"), so a write that then lost the race on its record's slot had already counted itself and failed
        // with a non-retryable "after 1 of its collections had committed" instead of running again.
        using var db = Open();
        const int writers = 8;
        using var start = new Barrier(writers);
        var outcomes = new string[writers];
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, i =>
        {
            start.SignalAndWait();
            try
            {
                db.Users.Insert(new User(i + 1, "n", "race@x.io"));
                outcomes[i] = "ok";
            }
            catch (SkvUniqueIndexException)
            {
                outcomes[i] = "unique";
            }
            catch (SkvException e)
            {
                outcomes[i] = e.Message;
            }
        });
        Assert.True(outcomes.Count(o => o == "ok") == 1 && outcomes.Count(o => o == "unique") == writers - 1, string.Join(" | ", outcomes));
        Assert.Equal(1, db.Users.Count());
        Assert.Equal(1, db.Users.CountByScan());
    }

    [Fact]
    public async Task GetMany_of_the_seam_spans_slots()
    {
        // keys of many collections (tags), so of several slots on several primaries: one MGET per slot
        var storage = cluster.Storage;
        storage.Clear();
        var keys = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes($"c{i % 37}/k{i}")).ToList();
        for (int i = 0; i < keys.Count; i += 2) storage.Put(keys[i], Encoding.UTF8.GetBytes("v" + i));
        var values = storage.GetMany(keys);
        for (int i = 0; i < keys.Count; i++) Assert.Equal(i % 2 == 0 ? "v" + i : null, values[i] is null ? null : Encoding.UTF8.GetString(values[i]!));
        var asyncValues = await storage.GetManyAsync(keys);
        Assert.Equal(values, asyncValues);
    }
}

public sealed class RedisServerBatchAndAsyncTests(RedisServerFixture redis) : BatchAndAsyncSuite, IClassFixture<RedisServerFixture>
{
    protected override TestDb Open()
    {
        redis.Storage.Clear();
        return new TestDb(redis.Storage);
    }

    [Fact]
    public async Task Async_calls_return_to_the_caller_while_the_server_cannot_answer()
    {
        using var db = Open();
        db.Events.Put(new Event(1, "a"));
        // a stopped server (SIGSTOP) answers nothing: the calls must be outstanding, not holding the caller
        Signal("STOP");
        Task<Event?>[] reads;
        Task[] writes;
        try
        {
            reads = Enumerable.Range(0, 100).Select(_ => db.Events.GetAsync(1).AsTask()).ToArray();
            writes = Enumerable.Range(2, 50).Select(i => db.Events.PutAsync(new Event(i, "b"))).ToArray();
            Assert.All(reads, t => Assert.False(t.IsCompleted));
            Assert.All(writes, t => Assert.False(t.IsCompleted));
        }
        finally
        {
            Signal("CONT");
        }
        Assert.All(await Task.WhenAll(reads), e => Assert.Equal("a", e!.Kind));
        await Task.WhenAll(writes);
        Assert.Equal(51, db.Events.Count());
    }

    [Fact]
    public async Task A_cancellation_releases_a_waiting_read_at_once_and_a_sent_write_waits_for_its_outcome()
    {
        using var db = Open();
        var storage = redis.Storage;
        db.Events.Put(new Event(1, "a"));
        using var cancel = new CancellationTokenSource();
        Signal("STOP");
        Task<Event?> read;
        Task typedPut, rawPut;
        try
        {
            read = db.Events.GetAsync(1, cancel.Token).AsTask();
            typedPut = db.Events.PutAsync(new Event(2, "b"), cancel.Token);        // still reading the old record
            rawPut = storage.PutAsync("raw/sent"u8.ToArray(), "v"u8.ToArray(), cancel.Token).AsTask(); // MULTI/EXEC already sent
            cancel.Cancel();
            // the read and the typed write (nothing sent but reads) end with the cancellation while the server is stopped
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => read);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => typedPut);
            Assert.False(rawPut.IsCompleted);
        }
        finally
        {
            Signal("CONT");
        }
        await rawPut;                                                              // the sent write completed, not cancelled
        Assert.Equal("v"u8.ToArray(), await storage.GetAsync("raw/sent"u8.ToArray()));
        Assert.Null(db.Events.Get(2));                                             // the cancelled one wrote nothing
        Assert.Equal(1, db.Events.Count());
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", redis.Server.ProcessId.ToString()]);
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
