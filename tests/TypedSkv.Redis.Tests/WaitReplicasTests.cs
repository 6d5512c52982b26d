using TypedSkv.Redis;
using TypedSkv.Tool.Commands;
using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

/// <summary>RedisSkvOptions.WaitReplicas against a server without replicas: every write is applied and not confirmed.</summary>
public sealed class WaitReplicasTests(RedisServerFixture redis) : IClassFixture<RedisServerFixture>
{
    private RedisSkvStorage Connect(int replicas = 1) =>
        RedisSkvStorage.Connect(redis.Uri, options: new RedisSkvOptions { WaitReplicas = replicas, WaitReplicasTimeout = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public void A_write_no_replica_confirms_is_applied_and_throws_a_retryable_SkvReplicationException()
    {
        redis.Storage.Clear();
        _ = new TestDb(redis.Storage); // the schema record, written without waiting
        using var storage = Connect();
        var db = new TestDb(storage);
        var error = Assert.Throws<SkvReplicationException>(() => db.Events.Put(new Event(1, "a")));
        Assert.True(error.IsRetryable);
        Assert.Equal((1, 0), (error.RequiredReplicas, error.ConfirmedReplicas));
        Assert.Contains("applied on the primary", error.Message);
        Assert.Equal("a", db.Events.Get(1)!.Kind); // applied: visible to readers

        Assert.Throws<SkvReplicationException>(() => storage.Put("raw/1"u8, "v"u8));
        Assert.Throws<SkvReplicationException>(() => storage.Delete("raw/1"u8.ToArray()));
        Assert.False(storage.ContainsKey("raw/1"u8));
        // nothing written, nothing to confirm: no WAIT
        Assert.False(storage.Delete("raw/missing"u8.ToArray()));
        redis.Storage.Put("raw/present"u8, "v"u8);
        Assert.False(storage.TryInsert("raw/present"u8, "x"u8));
        Assert.False(storage.TryUpdate("raw/absent"u8, "x"u8));
    }

    [Fact]
    public void Options_are_checked()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisSkvStorage.Connect(redis.Uri, options: new RedisSkvOptions { WaitReplicas = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisSkvStorage.Connect(redis.Uri, options: new RedisSkvOptions { WaitReplicas = 1, WaitReplicasTimeout = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisSkvStorage.Connect(redis.Uri, options: new RedisSkvOptions { BackupAttempts = 0 }));
        // a WAIT as long as the connection's timeout would time the connection out instead
        var error = Assert.Throws<ArgumentException>(() => RedisSkvStorage.Connect(redis.Uri, TimeSpan.FromSeconds(1), new RedisSkvOptions { WaitReplicas = 1, WaitReplicasTimeout = TimeSpan.FromSeconds(1) }));
        Assert.Contains("shorter than the connection's timeout", error.Message);
    }

    [Fact]
    public void Restore_with_wait_replicas_fails_with_exit_2_when_no_replica_confirms_and_refuses_a_store_file()
    {
        redis.Storage.Clear();
        using var dir = new TempDir();
        using (var store = SkvStore.Open(dir.File("s.skv")))
        {
            Data.Fill(store, extra: 20);
            store.Backup(dir.File("a.json"));
        }
        var cli = new Cli();
        Assert.True(RestoreCommand.Run(cli.Out, cli.Err, redis.Uri, dir.File("a.json"), waitReplicas: 1) == 2, cli.ToString());
        Assert.Contains("not confirmed on the replicas", cli.Err.ToString());
        Assert.Contains("run the same restore again", cli.Err.ToString());
        Assert.True(SkvBackup.Verify(dir.File("a.json"), redis.Storage).Ok); // written, just not confirmed

        var file = new Cli();
        Assert.Equal(2, RestoreCommand.Run(file.Out, file.Err, dir.File("s.skv"), dir.File("a.json"), waitReplicas: 1));
        Assert.Contains("--wait-replicas is for a restore into Redis", file.Err.ToString());
    }
}

public sealed class GarnetWaitReplicasTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void WaitReplicas_on_a_server_without_WAIT_says_so()
    {
        using var storage = RedisSkvStorage.Connect(garnet.Uri, options: new RedisSkvOptions { WaitReplicas = 1, WaitReplicasTimeout = TimeSpan.FromMilliseconds(100) });
        var error = Assert.Throws<SkvException>(() => storage.Put("wait/1"u8, "v"u8));
        Assert.Contains("needs the WAIT command", error.Message);
        Assert.False(error.IsRetryable);
        Assert.True(garnet.Storage.ContainsKey("wait/1"u8)); // applied, as the message says
    }
}
