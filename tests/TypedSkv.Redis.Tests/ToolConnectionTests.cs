using System.Diagnostics;
using System.Text;
using System.Text.Json;
using TypedSkv.Redis;
using TypedSkv.Tool;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Redis.Tests;

internal sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    public string All => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    /// <summary>The <c>error: </c> lines of stderr (without --verbose there is one).</summary>
    public string[] ErrorLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToArray();

    /// <summary>
    /// Runs a whole command line in-process; <paramref name="environment"/> stands in for the process environment
    /// (SKV_REDIS_PASSWORD, SKV_REDIS_USER), so tests running in parallel do not see each other's variables.
    /// </summary>
    public static ToolRun Skv(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        RedisCredentials.Environment.Value = name => environment is not null && environment.TryGetValue(name, out var v) ? v : null;
        try
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = SkvCli.Run(args, stdout, stderr);
            return new ToolRun(code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            RedisCredentials.Environment.Value = null;
        }
    }
}

/// <summary>backup, restore and verify --db against redis-servers with requirepass and an ACL user.</summary>
[Collection("auth")]
public sealed class ToolAuthTests(AuthServersFixture servers) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string RequirePassUri => $"redis://127.0.0.1:{servers.RequirePass.Port}";
    private string AclUri => $"redis://127.0.0.1:{servers.Acl.Port}";

    private static Dictionary<string, string> Env(string? password, string? user = null)
    {
        var env = new Dictionary<string, string>();
        if (password is not null) env[RedisCredentials.PasswordVariable] = password;
        if (user is not null) env[RedisCredentials.UserVariable] = user;
        return env;
    }

    private void Seed(string uri, RedisConnectionOptions options, string collection)
    {
        using var storage = RedisSkvStorage.Connect(uri, options);
        for (int i = 0; i < 20; i++) storage.Put(Encoding.UTF8.GetBytes($"{collection}/{i:D3}"), Encoding.UTF8.GetBytes("value " + i));
    }

    private string PasswordFile(string password, string name = "redis-pass")
    {
        string path = _dir.File(name);
        File.WriteAllText(path, password + "\n");
        return path;
    }

    [Fact]
    public void Password_from_the_environment_or_a_file_backs_up_restores_and_verifies_and_is_never_printed()
    {
        Seed(RequirePassUri, new RedisConnectionOptions { Password = AuthServersFixture.Password }, "toolauth");
        string backup = _dir.File("rp.json");
        var env = Env(AuthServersFixture.Password);

        var b = ToolRun.Skv(env, "backup", RequirePassUri, backup, "--json");
        Assert.True(b.ExitCode == 0, b.ToString());
        Assert.Equal(RequirePassUri, b.Json().GetProperty("path").GetString());
        var r = ToolRun.Skv(null, "restore", RequirePassUri, backup, "--redis-password-file", PasswordFile(AuthServersFixture.Password));
        Assert.True(r.ExitCode == 0, r.ToString());
        var v = ToolRun.Skv(env, "verify", backup, "--db", RequirePassUri);
        Assert.True(v.ExitCode == 0, v.ToString());
        Assert.Contains("0 missing in the store", v.Stdout);
        foreach (var run in new[] { b, r, v })
        {
            Assert.DoesNotContain(AuthServersFixture.Password, run.All);
            Assert.Empty(run.Stderr);
        }
    }

    [Fact]
    public void A_password_in_the_uri_works_with_a_warning_and_is_shown_masked()
    {
        Seed(RequirePassUri, new RedisConnectionOptions { Password = AuthServersFixture.Password }, "touri");
        string uri = $"redis://:{AuthServersFixture.Password}@127.0.0.1:{servers.RequirePass.Port}";
        var b = ToolRun.Skv(null, "backup", uri, _dir.File("u.json"), "--json");
        Assert.True(b.ExitCode == 0, b.ToString());
        var json = b.Json();
        Assert.Equal($"redis://:***@127.0.0.1:{servers.RequirePass.Port}", json.GetProperty("path").GetString());
        Assert.Equal(RedisCredentials.PasswordInUriKind, json.GetProperty("warnings")[0].GetProperty("kind").GetString());
        Assert.Contains("warning: the password in the Redis URI is visible to other users", b.Stderr);
        var text = ToolRun.Skv(null, "verify", _dir.File("u.json"), "--db", uri);
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Contains($"compared with redis://:***@127.0.0.1:{servers.RequirePass.Port}", text.Stdout);
        Assert.DoesNotContain(AuthServersFixture.Password, b.All + text.All);

        // and given twice (URI and file): which one was meant is unclear
        var twice = ToolRun.Skv(null, "backup", uri, _dir.File("t.json"), "--redis-password-file", PasswordFile("other"));
        Assert.Equal(2, twice.ExitCode);
        Assert.Contains("leave the password out of the URI", twice.Stderr);
        Assert.DoesNotContain(AuthServersFixture.Password, twice.All);
    }

    [Theory]
    [InlineData("backup")]
    [InlineData("restore")]
    [InlineData("verify")]
    public void A_wrong_password_is_exit_2_with_one_line_and_no_password_or_advice(string command)
    {
        const string wrong = "wrong-Pa55-e1";
        File.WriteAllText(_dir.File("b.json"), """{ "version": "1.0", "created_at": "2024-12-06T12:00:00Z", "total_records": 0, "records": [] }""");
        string[] Args(params string[] more) => command switch
        {
            "backup" => ["backup", RequirePassUri, _dir.File("out.json"), .. more],
            "restore" => ["restore", RequirePassUri, _dir.File("b.json"), .. more],
            _ => ["verify", _dir.File("b.json"), "--db", RequirePassUri, .. more],
        };
        foreach (var run in new[]
        {
            ToolRun.Skv(Env(wrong), Args()),
            ToolRun.Skv(Env(wrong), Args("--json")),
            ToolRun.Skv(Env(wrong), Args("--verbose")),
            ToolRun.Skv(null, Args("--redis-password-file", PasswordFile(wrong))),
        })
        {
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Single(run.ErrorLines);
            Assert.StartsWith($"error: cannot connect to Redis at 127.0.0.1:{servers.RequirePass.Port}: authentication failed for the default user, with the password given (", run.ErrorLines[0]);
            Assert.Contains("WRONGPASS", run.ErrorLines[0]);
            Assert.DoesNotContain("abortConnect", run.ErrorLines[0]);
            Assert.DoesNotContain(wrong, run.All);
        }
        Assert.False(File.Exists(_dir.File("out.json")));

        var none = ToolRun.Skv(null, Args());
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("authentication failed for the default user, no password given (NOAUTH", none.Stderr);
    }

    [Fact]
    public void Acl_user_from_the_environment_or_the_uri()
    {
        Seed(AclUri, new RedisConnectionOptions { User = AuthServersFixture.AclUser, Password = AuthServersFixture.AclPassword }, "toolacl");
        var env = Env(AuthServersFixture.AclPassword, AuthServersFixture.AclUser);
        var b = ToolRun.Skv(env, "backup", AclUri, _dir.File("acl.json"));
        Assert.True(b.ExitCode == 0, b.ToString());
        var inUri = ToolRun.Skv(Env(AuthServersFixture.AclPassword, "nosuchuser"), "verify", _dir.File("acl.json"), "--db", $"redis://{AuthServersFixture.AclUser}@127.0.0.1:{servers.Acl.Port}");
        Assert.True(inUri.ExitCode == 0, inUri.ToString()); // the URI's user wins over SKV_REDIS_USER
        var wrongUser = ToolRun.Skv(Env(AuthServersFixture.AclPassword, "nosuchuser"), "verify", _dir.File("acl.json"), "--db", AclUri);
        Assert.Equal(2, wrongUser.ExitCode);
        Assert.Contains("authentication failed for user nosuchuser", wrongUser.Stderr);
        Assert.DoesNotContain(AuthServersFixture.AclPassword, b.All + inUri.All + wrongUser.All);
    }

    [Theory]
    [InlineData("redis://:hunter2-pw@127.0.0.1:notaport", "is not host[:port]")]
    [InlineData("redis://:hunter2-pw@127.0.0.1:1/x", "is not a database number")]
    [InlineData("redis://127.0.0.1:1,password=hunter2-pw", "is a StackExchange.Redis option")]
    [InlineData("rediss://", "empty host")]
    public void A_bad_uri_is_exit_2_without_the_password(string uri, string message)
    {
        foreach (var run in new[] { ToolRun.Skv(null, "backup", uri, _dir.File("x.json")), ToolRun.Skv(null, "backup", uri, _dir.File("x.json"), "--json", "--verbose") })
        {
            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Contains(message, run.ErrorLines.Single());
            Assert.DoesNotContain("hunter2", run.All);
        }
    }

    [Fact]
    public void An_unreachable_server_is_exit_2_without_the_password()
    {
        string uri = $"redis://app:hunter3-pw@127.0.0.1:{Ports.Free()}";
        var run = ToolRun.Skv(null, "verify", _dir.File("none.json"), "--db", uri);
        Assert.Equal(2, run.ExitCode); // the backup file is missing: checked before connecting
        File.WriteAllText(_dir.File("b.json"), """{ "version": "1.0", "created_at": "2024-12-06T12:00:00Z", "total_records": 0, "records": [] }""");
        foreach (var r in new[] { ToolRun.Skv(null, "verify", _dir.File("b.json"), "--db", uri, "--json", "--verbose"), ToolRun.Skv(null, "restore", uri, _dir.File("b.json")) })
        {
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Contains("no Redis server answered", r.ErrorLines.Single());
            Assert.DoesNotContain("hunter3", r.All);
        }
        var info = ToolRun.Skv(null, "info", uri);
        Assert.Equal(2, info.ExitCode);
        Assert.DoesNotContain("hunter3", info.All);
    }

    [Fact]
    public void Redis_options_with_a_store_file_are_a_usage_error()
    {
        string db = _dir.File("app.skv");
        using (var store = SkvStore.Open(db)) store.Put("a", "b");
        var backup = ToolRun.Skv(null, "backup", db, _dir.File("a.json"), "--redis-ca", "/etc/hostname");
        Assert.Equal(2, backup.ExitCode);
        Assert.Contains("are for a Redis connection", backup.Stderr);
        Assert.Equal(2, ToolRun.Skv(null, "restore", db, _dir.File("a.json"), "--redis-password-file", "/etc/hostname").ExitCode);
        Assert.Equal(0, ToolRun.Skv(null, "backup", db, _dir.File("a.json")).ExitCode);
        Assert.Equal(2, ToolRun.Skv(null, "verify", _dir.File("a.json"), "--redis-cert", "/etc/hostname").ExitCode);
        var tlsFileOnPlain = ToolRun.Skv(null, "backup", RequirePassUri, _dir.File("p.json"), "--redis-ca", "/etc/hostname");
        Assert.Equal(2, tlsFileOnPlain.ExitCode);
        Assert.Contains("use rediss://", tlsFileOnPlain.Stderr);
    }

    [Fact]
    public async Task The_installed_tool_reads_the_real_environment_variables()
    {
        // a separate process with SKV_REDIS_USER / SKV_REDIS_PASSWORD in its environment, nothing secret in its arguments
        Seed(AclUri, new RedisConnectionOptions { User = AuthServersFixture.AclUser, Password = AuthServersFixture.AclPassword }, "toolproc");
        string tool = Path.Combine(AppContext.BaseDirectory, "dotnet-skv");
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { "backup", AclUri, _dir.File("proc.json"), "--json" }) psi.ArgumentList.Add(a);
        psi.Environment[RedisCredentials.PasswordVariable] = AuthServersFixture.AclPassword;
        psi.Environment[RedisCredentials.UserVariable] = AuthServersFixture.AclUser;
        using var p = Process.Start(psi)!;
        var stdoutTask = p.StandardOutput.ReadToEndAsync();
        string stderr = await p.StandardError.ReadToEndAsync();
        string stdout = await stdoutTask;
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(p.ExitCode == 0, stderr + stdout);
        using var doc = JsonDocument.Parse(stdout);
        Assert.True(doc.RootElement.GetProperty("records").GetInt64() >= 20);
        Assert.DoesNotContain(AuthServersFixture.AclPassword, stdout + stderr);
    }
}

/// <summary>backup, restore and verify --db over TLS: single server and cluster, with CA and client certificate files.</summary>
[Collection("tls")]
public sealed class ToolTlsTests(TlsFixture tls) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Files(string? ca = null) =>
        ["--redis-ca", ca ?? tls.Certificates.Ca, "--redis-cert", tls.Certificates.ClientCert, "--redis-key", tls.Certificates.ClientKey];

    [Fact]
    public void Single_tls_server_backup_restore_verify()
    {
        string uri = $"rediss://127.0.0.1:{tls.Single.Port}";
        using (var storage = RedisSkvStorage.Connect(uri, tls.Options()))
            for (int i = 0; i < 10; i++) storage.Put(Encoding.UTF8.GetBytes($"tooltls/{i}"), "x"u8);
        var b = ToolRun.Skv(null, ["backup", uri, _dir.File("tls.json"), .. Files()]);
        Assert.True(b.ExitCode == 0, b.ToString());
        var r = ToolRun.Skv(null, ["restore", uri, _dir.File("tls.json"), .. Files()]);
        Assert.True(r.ExitCode == 0, r.ToString());
        var v = ToolRun.Skv(null, ["verify", _dir.File("tls.json"), "--db", uri, .. Files()]);
        Assert.True(v.ExitCode == 0, v.ToString());
    }

    [Fact]
    public void Tls_cluster_backup_and_verify()
    {
        using (var storage = RedisSkvStorage.Connect(tls.ClusterUri, tls.Options()))
            for (int i = 0; i < 30; i++) storage.Put(Encoding.UTF8.GetBytes($"tc{i}/k"), "v"u8);
        var b = ToolRun.Skv(null, ["backup", tls.ClusterUri, _dir.File("cluster.json"), "--json", .. Files()]);
        Assert.True(b.ExitCode == 0, b.ToString());
        Assert.True(b.Json().GetProperty("records").GetInt64() >= 30);
        var v = ToolRun.Skv(null, ["verify", _dir.File("cluster.json"), "--db", tls.ClusterUri, .. Files()]);
        Assert.True(v.ExitCode == 0, v.ToString());
    }

    [Fact]
    public void A_wrong_ca_is_exit_2_with_one_line_naming_the_host_and_the_reason()
    {
        foreach (string uri in new[] { $"rediss://127.0.0.1:{tls.Single.Port}", tls.ClusterUri })
        {
            var run = ToolRun.Skv(null, ["backup", uri, _dir.File("w.json"), .. Files(tls.Certificates.WrongCa)]);
            Assert.True(run.ExitCode == 2, run.ToString());
            string line = run.ErrorLines.Single();
            Assert.Contains("the TLS certificate of 127.0.0.1 does not verify", line);
            Assert.Contains("(UntrustedRoot)", line);
            Assert.Contains("not signed by the given CA file", line);
        }
        var name = ToolRun.Skv(null, "verify", _dir.File("w.json"), "--db", $"rediss://127.0.0.1:{tls.OtherName.Port}", "--redis-ca", tls.Certificates.Ca);
        Assert.Equal(2, name.ExitCode);
        Assert.False(File.Exists(_dir.File("w.json")));
        var missing = ToolRun.Skv(null, ["backup", $"rediss://127.0.0.1:{tls.Single.Port}", _dir.File("w.json"), .. Files(_dir.File("no-ca.pem"))]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("CA file not found", missing.Stderr);
    }
}

internal static class ToolRunJson
{
    public static JsonElement Json(this ToolRun run)
    {
        using var doc = JsonDocument.Parse(run.Stdout);
        return doc.RootElement.Clone();
    }
}
