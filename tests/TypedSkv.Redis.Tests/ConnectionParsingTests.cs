using System.Net;
using StackExchange.Redis;
using TypedSkv.Redis;

namespace TypedSkv.Redis.Tests;

/// <summary>Connection text to StackExchange.Redis options, without a server.</summary>
public class ConnectionParsingTests
{
    private static string Endpoints(ConfigurationOptions o) => string.Join(",", o.EndPoints.Select(e => e switch
    {
        DnsEndPoint d => $"{d.Host}:{d.Port}",
        IPEndPoint i => $"{i.Address}:{i.Port}",
        _ => e.ToString(),
    }));

    [Theory]
    [InlineData("redis://127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("redis://127.0.0.1", "127.0.0.1:6379")]
    [InlineData("redis://cache.example:6390/", "cache.example:6390")]
    [InlineData("REDIS://[::1]:7000", "::1:7000")]
    [InlineData("redis://127.0.0.1:7000,127.0.0.1:7001,node3:7002", "127.0.0.1:7000,127.0.0.1:7001,node3:7002")]
    [InlineData("redis://a:7000,b", "a:7000,b:6379")]
    [InlineData("127.0.0.1:6379", "127.0.0.1:6379")]
    [InlineData("127.0.0.1:6379,127.0.0.1:6380,abortConnect=false", "127.0.0.1:6379,127.0.0.1:6380")]
    public void Endpoints_of_uris_seed_lists_and_configuration_strings(string connection, string endpoints) =>
        Assert.Equal(endpoints, Endpoints(RedisConnection.Parse(connection)));

    [Fact]
    public void User_and_password_are_percent_decoded_and_apply_to_the_whole_seed_list()
    {
        var o = RedisConnection.Parse("rediss://app%40eu:p%40ss%3Aw%2Cord%25@h1:7000,h2:7001,h3:7002");
        Assert.Equal("app@eu", o.User);
        Assert.Equal("p@ss:w,ord%", o.Password);
        Assert.True(o.Ssl);
        Assert.Equal(3, o.EndPoints.Count);

        var passwordOnly = RedisConnection.Parse("redis://:secret@127.0.0.1:6379/3");
        Assert.Null(passwordOnly.User);
        Assert.Equal("secret", passwordOnly.Password);
        Assert.Equal(3, passwordOnly.DefaultDatabase);
        Assert.False(passwordOnly.Ssl);

        var userOnly = RedisConnection.Parse("redis://reader@127.0.0.1:6379");
        Assert.Equal("reader", userOnly.User);
        Assert.Null(userOnly.Password);
    }

    [Fact]
    public void Options_give_credentials_and_a_conflict_with_the_uri_is_refused()
    {
        var o = RedisConnection.Parse("redis://app@127.0.0.1:6379", new RedisConnectionOptions { Password = "pw", Timeout = TimeSpan.FromSeconds(2) });
        Assert.Equal(("app", "pw"), (o.User, o.Password));
        Assert.Equal(2000, o.ConnectTimeout);
        var user = RedisConnection.Parse("redis://127.0.0.1", new RedisConnectionOptions { User = "u" });
        Assert.Equal("u", user.User);

        var twice = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("redis://:first-pw@127.0.0.1", new RedisConnectionOptions { Password = "second-pw" }));
        Assert.Equal(RedisConnectionFailure.BadConfiguration, twice.Failure);
        Assert.DoesNotContain("first-pw", twice.Message);
        Assert.DoesNotContain("second-pw", twice.Message);
        Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("redis://a@127.0.0.1", new RedisConnectionOptions { User = "b" }));
        Assert.Contains("the timeout must be positive", Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("redis://h", new RedisConnectionOptions { Timeout = TimeSpan.Zero })).Message);
        Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("redis://h", new RedisConnectionOptions { Timeout = TimeSpan.FromDays(30) }));
    }

    [Theory]
    [InlineData("redis://", "empty host")]
    [InlineData("redis://127.0.0.1:notaport", "is not host[:port]")]
    [InlineData("redis://127.0.0.1:99999", "is not host[:port]")]
    [InlineData("redis://127.0.0.1:0", "port 0")]
    [InlineData("redis://a:1,,b:2", "empty host")]
    [InlineData("redis://a:1/0,b:2", "after the last host")]
    [InlineData("redis://a:1/x", "'x' is not a database number")]
    [InlineData("redis://a:1/1/2", "is not a database number")]
    [InlineData("redis://a:1?ssl=true", "query options are not supported")]
    [InlineData("redis://u:pw@a:1,v:pw@b:2", "credentials go once")]
    [InlineData("redis://a:1,password=pw", "'password=' is a StackExchange.Redis option")]
    [InlineData("", "empty")]
    [InlineData("password=pw", "no endpoint")]
    public void Bad_connection_text_is_a_clear_error_without_the_password(string connection, string message)
    {
        var ex = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse(connection));
        Assert.Equal(RedisConnectionFailure.BadConfiguration, ex.Failure);
        Assert.Contains(message, ex.Message);
        Assert.DoesNotContain("pw", ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }

    [Fact]
    public void Tls_files_need_a_tls_connection_and_must_exist()
    {
        var plain = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("redis://127.0.0.1", new RedisConnectionOptions { CaCertificateFile = "/etc/hostname" }));
        Assert.Contains("use rediss://", plain.Message);
        var missing = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("rediss://127.0.0.1", new RedisConnectionOptions { CaCertificateFile = "/nonexistent/ca.pem" }));
        Assert.Contains("CA file not found: /nonexistent/ca.pem", missing.Message);
        var notPem = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("rediss://127.0.0.1", new RedisConnectionOptions { CaCertificateFile = "/etc/hostname" }));
        Assert.Contains("holds no certificate", notPem.Message);
        var keyAlone = Assert.Throws<SkvRedisConnectionException>(() => RedisConnection.Parse("rediss://127.0.0.1", new RedisConnectionOptions { ClientKeyFile = "/etc/hostname" }));
        Assert.Contains("needs its client certificate", keyAlone.Message);
    }

    [Theory]
    [InlineData("redis://127.0.0.1:6379", "redis://127.0.0.1:6379")]
    [InlineData("redis://app:s3cret@127.0.0.1:6379/2", "redis://app:***@127.0.0.1:6379/2")]
    [InlineData("rediss://:s3cret@h1:1,h2:2", "rediss://:***@h1:1,h2:2")]
    [InlineData("redis://app@h:1", "redis://app@h:1")]
    [InlineData("redis://a:s3c@ret@h:1", "redis://a:***@h:1")]
    [InlineData("redis://s3c,ret@h:1", "redis://***@h:1")]
    [InlineData("127.0.0.1:6379,password=s3cret", "127.0.0.1:6379,password=*****")]
    public void Redact_leaves_out_the_password(string connection, string shown)
    {
        Assert.Equal(shown, RedisConnection.Redact(connection));
        Assert.DoesNotContain("s3c", RedisConnection.Redact(connection));
    }
}
