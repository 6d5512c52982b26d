using TypedSkv.Redis;

namespace TypedSkv.Redis.Tests;

/// <summary>Credentials against redis-servers with requirepass and with an ACL file.</summary>
[Collection("auth")]
public sealed class AuthConnectionTests(AuthServersFixture servers)
{
    private static readonly RedisConnectionOptions Fast = new() { Timeout = TimeSpan.FromSeconds(3) };

    private static void RoundTrip(RedisSkvStorage storage, string key)
    {
        storage.Put(System.Text.Encoding.UTF8.GetBytes(key), "v"u8);
        Assert.True(storage.TryGet(System.Text.Encoding.UTF8.GetBytes(key), out var value));
        Assert.Equal("v"u8.ToArray(), value);
    }

    [Fact]
    public void Requirepass_password_in_the_uri_or_in_the_options()
    {
        using (var inUri = RedisSkvStorage.Connect($"redis://:{AuthServersFixture.Password}@127.0.0.1:{servers.RequirePass.Port}", Fast))
            RoundTrip(inUri, "auth/uri");
        using (var inOptions = RedisSkvStorage.Connect($"redis://127.0.0.1:{servers.RequirePass.Port}", Fast with { Password = AuthServersFixture.Password }))
            RoundTrip(inOptions, "auth/options");
        // the default user by name, as Redis 6+ AUTH default <password> accepts it
        using (var named = RedisSkvStorage.Connect($"redis://default:{AuthServersFixture.Password}@127.0.0.1:{servers.RequirePass.Port}", Fast))
            RoundTrip(named, "auth/named");
    }

    [Fact]
    public void Acl_user_with_a_percent_encoded_password()
    {
        string encoded = Uri.EscapeDataString(AuthServersFixture.AclPassword);
        Assert.NotEqual(AuthServersFixture.AclPassword, encoded);
        using (var storage = RedisSkvStorage.Connect($"redis://{AuthServersFixture.AclUser}:{encoded}@127.0.0.1:{servers.Acl.Port}", Fast))
            RoundTrip(storage, "acl/uri");
        using (var storage = RedisSkvStorage.Connect($"redis://127.0.0.1:{servers.Acl.Port}", Fast with { User = AuthServersFixture.AclUser, Password = AuthServersFixture.AclPassword }))
        {
            RoundTrip(storage, "acl/options");
            Assert.DoesNotContain(AuthServersFixture.AclPassword, storage.ToString());
        }
    }

    [Theory]
    [InlineData("requirepass", "wrong-pw-1234", null)]
    [InlineData("requirepass", null, null)]
    [InlineData("acl", "wrong-pw-1234", AuthServersFixture.AclUser)]
    [InlineData("acl", AuthServersFixture.AclPassword, "nosuchuser")]
    [InlineData("acl", AuthServersFixture.Password, null)] // the default user is off
    public void Wrong_credentials_are_one_line_naming_the_server_without_advice_or_password(string server, string? password, string? user)
    {
        int port = server == "acl" ? servers.Acl.Port : servers.RequirePass.Port;
        var ex = Assert.Throws<SkvRedisConnectionException>(() =>
            RedisSkvStorage.Connect($"redis://127.0.0.1:{port}", Fast with { User = user, Password = password }));
        Assert.Equal(RedisConnectionFailure.Authentication, ex.Failure);
        Assert.StartsWith($"cannot connect to Redis at 127.0.0.1:{port}: authentication failed for ", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
        Assert.DoesNotContain("abortConnect", ex.Message);
        if (password is not null) Assert.DoesNotContain(password, ex.ToString());
    }

    [Fact]
    public void A_server_that_is_not_there_is_unreachable_in_one_line()
    {
        int port = Ports.Free();
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"redis://:secret-9a@127.0.0.1:{port}", Fast));
        Assert.Equal(RedisConnectionFailure.Unreachable, ex.Failure);
        Assert.StartsWith($"cannot connect to Redis at 127.0.0.1:{port}: ", ex.Message);
        Assert.DoesNotContain("abortConnect", ex.Message);
        Assert.DoesNotContain("secret-9a", ex.ToString());
    }
}

/// <summary>TLS-only servers: a single node with client certificates required, a wrong CA, a wrong name, a TLS cluster.</summary>
[Collection("tls")]
public sealed class TlsConnectionTests(TlsFixture tls)
{
    [Fact]
    public void Single_tls_server_with_ca_and_client_certificate()
    {
        using var storage = RedisSkvStorage.Connect($"rediss://127.0.0.1:{tls.Single.Port}", tls.Options());
        storage.Put("tls/a"u8, "secure"u8);
        Assert.True(storage.TryGet("tls/a"u8, out var value));
        Assert.Equal("secure"u8.ToArray(), value);
        Assert.False(storage.IsCluster);
    }

    [Fact]
    public void Tls_cluster_of_three_primaries()
    {
        using var storage = RedisSkvStorage.Connect(tls.ClusterUri, tls.Options());
        Assert.True(storage.IsCluster);
        // 30 collections: spread over the three primaries' slots
        for (int i = 0; i < 30; i++) storage.Put(System.Text.Encoding.UTF8.GetBytes($"c{i}/k"), System.Text.Encoding.UTF8.GetBytes("v" + i));
        for (int i = 0; i < 30; i++)
        {
            Assert.True(storage.TryGet(System.Text.Encoding.UTF8.GetBytes($"c{i}/k"), out var value));
            Assert.Equal("v" + i, System.Text.Encoding.UTF8.GetString(value));
        }
        Assert.Equal(30, storage.ScanRange("c"u8.ToArray(), "d"u8.ToArray()).Count());
        Assert.Equal(3, storage.Connection.GetServers().Count(s => !s.IsReplica && s.IsConnected));
    }

    [Fact]
    public void A_database_number_other_than_0_on_a_cluster_is_refused_at_connect()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect(tls.ClusterUri + "/3", tls.Options()));
        Assert.Equal(RedisConnectionFailure.BadConfiguration, ex.Failure);
        Assert.Contains("a Redis Cluster has only database 0", ex.Message);
        using var zero = RedisSkvStorage.Connect(tls.ClusterUri + "/0", tls.Options());
        Assert.True(zero.IsCluster);
    }

    [Fact]
    public void A_certificate_from_another_ca_names_the_host_and_the_reason()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"rediss://127.0.0.1:{tls.Single.Port}", tls.Options(tls.Certificates.WrongCa)));
        Assert.Equal(RedisConnectionFailure.Certificate, ex.Failure);
        Assert.Contains("the TLS certificate of 127.0.0.1 does not verify", ex.Message);
        Assert.Contains("UntrustedRoot", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);

        var cluster = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect(tls.ClusterUri, tls.Options(tls.Certificates.WrongCa)));
        Assert.Equal(RedisConnectionFailure.Certificate, cluster.Failure);
    }

    [Fact]
    public void No_ca_given_the_system_roots_do_not_trust_a_private_ca()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"rediss://127.0.0.1:{tls.Single.Port}/", tls.Options() with { CaCertificateFile = null }));
        Assert.Equal(RedisConnectionFailure.Certificate, ex.Failure);
        Assert.Contains("give the CA file", ex.Message);
    }

    [Fact]
    public void A_certificate_for_another_name_is_a_name_mismatch()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"rediss://127.0.0.1:{tls.OtherName.Port}", new RedisConnectionOptions { CaCertificateFile = tls.Certificates.Ca }));
        Assert.Equal(RedisConnectionFailure.Certificate, ex.Failure);
        Assert.Contains("issued to other.example, not to the host connected to", ex.Message);
    }

    [Fact]
    public void Without_a_client_certificate_a_server_requiring_one_refuses()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"rediss://127.0.0.1:{tls.Single.Port}", new RedisConnectionOptions { CaCertificateFile = tls.Certificates.Ca, Timeout = TimeSpan.FromSeconds(3) }));
        // the server closes the connection in the handshake: StackExchange.Redis sees a closed socket or a failed handshake
        Assert.True(ex.Failure is RedisConnectionFailure.Unreachable or RedisConnectionFailure.Certificate, ex.Message);
        Assert.Contains("requires a client certificate", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Plain_redis_to_a_tls_port_fails_clearly()
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisSkvStorage.Connect($"redis://127.0.0.1:{tls.Single.Port}", new RedisConnectionOptions { Timeout = TimeSpan.FromSeconds(2) }));
        Assert.StartsWith($"cannot connect to Redis at 127.0.0.1:{tls.Single.Port}", ex.Message);
        Assert.EndsWith("whether it takes TLS only (rediss://)", ex.Message);
    }
}
