using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

/// <summary>The typed-accessor suite (tests/TypedSkv.Typed.Tests/TypedAccessorSuite.cs) over Garnet, one redis-server and Redis Cluster.</summary>
public sealed class GarnetTypedAccessorTests(GarnetFixture garnet) : TypedAccessorSuite, IClassFixture<GarnetFixture>
{
    protected override TestDb Open(bool fresh = true)
    {
        if (fresh) garnet.Storage.Clear();
        return new TestDb(garnet.Storage);
    }
}

[Collection("cluster")]
public sealed class RedisClusterTypedAccessorTests(RedisClusterFixture cluster) : TypedAccessorSuite
{
    protected override TestDb Open(bool fresh = true)
    {
        if (fresh) cluster.Storage.Clear();
        return new TestDb(cluster.Storage);
    }
}

public sealed class RedisServerTypedAccessorTests(RedisServerFixture redis) : TypedAccessorSuite, IClassFixture<RedisServerFixture>
{
    protected override TestDb Open(bool fresh = true)
    {
        if (fresh) redis.Storage.Clear();
        return new TestDb(redis.Storage);
    }
}
