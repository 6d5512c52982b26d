using System.Diagnostics;

namespace TypedSkv.Redis.Tests;

/// <summary>
/// Two redis-servers with credentials: one with <c>requirepass</c> (the default user's password), one with an ACL
/// file whose default user is off and whose user <c>app</c> has a password with characters a URI must escape.
/// </summary>
public sealed class AuthServersFixture : IDisposable
{
    public const string Password = "req-Pa55word-7f3a";
    public const string AclUser = "app";
    public const string AclPassword = "acl@p:w/7b1c,x";

    public AuthServersFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), "skv-redis-auth-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        string aclFile = Path.Combine(Directory, "users.acl");
        File.WriteAllText(aclFile, $"user default off\nuser {AclUser} on >{AclPassword} ~* &* +@all\n");
        try
        {
            RequirePass = new RedisProcess(cluster: false, extraArgs: ["--requirepass", Password], cliOptions: $"--no-auth-warning -a {Password}");
            Acl = new RedisProcess(cluster: false, extraArgs: ["--aclfile", aclFile], cliOptions: $"--no-auth-warning --user {AclUser} --pass {AclPassword}");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Directory { get; }
    public RedisProcess RequirePass { get; } = null!;
    public RedisProcess Acl { get; } = null!;

    public void Dispose()
    {
        RequirePass?.Dispose();
        Acl?.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A test CA, server and client certificates made with the openssl command (installed by .ci/run when missing).</summary>
public sealed class TestCertificates : IDisposable
{
    public TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "skv-tls-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        System.IO.File.WriteAllText(File("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
        System.IO.File.WriteAllText(File("other.ext"), "subjectAltName=DNS:other.example\n");
        foreach (string ca in new[] { "ca", "wrong-ca" })
            OpenSsl($"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {ca}.key -out {ca}.crt -days 2 -subj /CN=skv-test-{ca}");
        Issue("server", "/CN=localhost", "server.ext");
        Issue("client", "/CN=skv-test-client", null);
        Issue("other-name", "/CN=other.example", "other.ext");
    }

    public string Directory { get; }
    public string Ca => File("ca.crt");
    public string WrongCa => File("wrong-ca.crt");
    public string ServerCert => File("server.crt");
    public string ServerKey => File("server.key");
    public string ClientCert => File("client.crt");
    public string ClientKey => File("client.key");
    public string OtherNameCert => File("other-name.crt");
    public string OtherNameKey => File("other-name.key");

    public string File(string name) => Path.Combine(Directory, name);

    private void Issue(string name, string subject, string? extensions)
    {
        OpenSsl($"req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {name}.key -out {name}.csr -subj {subject}");
        OpenSsl($"x509 -req -in {name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out {name}.crt -days 2" + (extensions is null ? "" : $" -extfile {extensions}"));
    }

    private void OpenSsl(string args)
    {
        var psi = new ProcessStartInfo("openssl", args) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"openssl {args} exited {p.ExitCode}: {stderr}{stdout.Result}");
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}

/// <summary>A TLS-only redis-server (<c>--port 0 --tls-port P</c>) that requires client certificates, and a cluster of three.</summary>
public static class TlsServers
{
    public static List<string> Args(TestCertificates certs, int port, bool cluster, string serverCert = "server", string authClients = "yes")
    {
        var args = new List<string>
        {
            "--port", "0", "--tls-port", port.ToString(),
            "--tls-cert-file", certs.File(serverCert + ".crt"), "--tls-key-file", certs.File(serverCert + ".key"),
            "--tls-ca-cert-file", certs.Ca, "--tls-auth-clients", authClients,
        };
        if (cluster) args.AddRange(["--tls-cluster", "yes"]);
        return args;
    }

    public static string CliOptions(TestCertificates certs) => $"--tls --cacert {certs.Ca} --cert {certs.ClientCert} --key {certs.ClientKey}";

    public static RedisProcess Start(TestCertificates certs, bool cluster = false, string serverCert = "server", string authClients = "yes")
    {
        int port = Ports.Free();
        return new RedisProcess(cluster, port, Args(certs, port, cluster, serverCert, authClients), CliOptions(certs));
    }
}

/// <summary>Certificates, a TLS single server (client certificates required), one whose certificate names another host, and a TLS cluster of 3 primaries.</summary>
public sealed class TlsFixture : IDisposable
{
    private readonly List<RedisProcess> _nodes = [];

    public TlsFixture()
    {
        Certificates = new TestCertificates();
        try
        {
            Single = TlsServers.Start(Certificates);
            OtherName = TlsServers.Start(Certificates, serverCert: "other-name", authClients: "no");
            for (int i = 0; i < 3; i++) _nodes.Add(TlsServers.Start(Certificates, cluster: true));
            string endpoints = string.Join(' ', _nodes.Select(n => $"127.0.0.1:{n.Port}"));
            RedisBinaries.Run(RedisBinaries.RedisCli, $"{TlsServers.CliOptions(Certificates)} --cluster create {endpoints} --cluster-yes", TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!_nodes.All(n => n.Cli("cluster info").Contains("cluster_state:ok")))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the TLS cluster did not reach cluster_state:ok");
                Thread.Sleep(100);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TestCertificates Certificates { get; }
    public RedisProcess Single { get; } = null!;
    public RedisProcess OtherName { get; } = null!;
    public IReadOnlyList<RedisProcess> ClusterNodes => _nodes;
    public string ClusterUri => "rediss://" + string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}"));

    public RedisConnectionOptions Options(string? ca = null) => new()
    {
        CaCertificateFile = ca ?? Certificates.Ca,
        ClientCertificateFile = Certificates.ClientCert,
        ClientKeyFile = Certificates.ClientKey,
    };

    public void Dispose()
    {
        Single?.Dispose();
        OtherName?.Dispose();
        foreach (var n in _nodes) n.Dispose();
        Certificates.Dispose();
    }
}

[CollectionDefinition("auth")]
public sealed class AuthCollection : ICollectionFixture<AuthServersFixture>;

[CollectionDefinition("tls")]
public sealed class TlsCollection : ICollectionFixture<TlsFixture>;
