using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Garnet;
using TypedSkv.Redis;

namespace TypedSkv.Redis.Tests;

internal static class Ports
{
    /// <summary>A free loopback port (bound and released; the server binds it next).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Garnet in this process on 127.0.0.1 and a free port; disposed with the test class.</summary>
public sealed class GarnetFixture : IDisposable
{
    private readonly GarnetServer _server;

    public GarnetFixture()
    {
        Port = Ports.Free();
        _server = new GarnetServer(["--bind", "127.0.0.1", "--port", Port.ToString(), "--memory", "256m", "--index", "16m", "--logger-level", "Error"]);
        _server.Start();
        Uri = $"redis://127.0.0.1:{Port}";
        Storage = RedisSkvStorage.Connect(Uri);
    }

    public int Port { get; }
    public string Uri { get; }
    public RedisSkvStorage Storage { get; }

    public void Dispose()
    {
        Storage.Dispose();
        _server.Dispose();
    }
}

/// <summary>The redis-server and redis-cli binaries; installs the Debian packages (as root) when missing.</summary>
internal static class RedisBinaries
{
    private static readonly Lazy<string> Server = new(() =>
    {
        string? found = Find("redis-server");
        if (found is null)
        {
            Run("apt-get", "install -y redis-server redis-tools", TimeSpan.FromMinutes(3), check: false);
            found = Find("redis-server");
            if (found is null)
            {
                Run("apt-get", "update", TimeSpan.FromMinutes(3), check: false);
                Run("apt-get", "install -y redis-server redis-tools", TimeSpan.FromMinutes(3));
                found = Find("redis-server") ?? throw new InvalidOperationException("redis-server is not installed and apt-get could not install it");
            }
        }
        return found;
    });

    public static string RedisServer => Server.Value;

    public static string RedisCli => Find("redis-cli") ?? throw new InvalidOperationException("redis-cli not found (package redis-tools)");

    private static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }

    public static string Run(string file, string args, TimeSpan timeout, bool check = true)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {args} did not finish in {timeout}");
        }
        if (check && p.ExitCode != 0) throw new InvalidOperationException($"{file} {args} exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        return stdout.Result;
    }
}

/// <summary>One redis-server process on 127.0.0.1 in a temp directory, killed on dispose.</summary>
public sealed class RedisProcess : IDisposable
{
    private readonly Process _process;

    /// <param name="extraArgs">More redis-server options; later ones win (e.g. <c>--port 0 --tls-port P</c>).</param>
    /// <param name="cliOptions">What redis-cli needs to talk to it (TLS files, a password).</param>
    public RedisProcess(bool cluster, int? port = null, IReadOnlyList<string>? extraArgs = null, string cliOptions = "")
    {
        CliOptions = cliOptions;
        Port = port ?? Ports.Free();
        Directory = Path.Combine(Path.GetTempPath(), "skv-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        var args = new List<string> { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", Directory, "--protected-mode", "no" };
        if (cluster) args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(Directory, "nodes.conf")]);
        if (extraArgs is not null) args.AddRange(extraArgs);
        var psi = new ProcessStartInfo(RedisBinaries.RedisServer) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        _process = Process.Start(psi)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        WaitForPing();
    }

    public int Port { get; }
    public string Directory { get; }
    public int ProcessId => _process.Id;
    public string CliOptions { get; }

    public string Cli(string args) => RedisBinaries.Run(RedisBinaries.RedisCli, $"-h 127.0.0.1 -p {Port} {CliOptions} {args}", TimeSpan.FromSeconds(30));

    private void WaitForPing()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (_process.HasExited) throw new InvalidOperationException($"redis-server on port {Port} exited with {_process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    /// <summary>Kills the server (the kill test); Dispose is then a no-op for the process.</summary>
    public void Kill()
    {
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); _process.WaitForExit(10_000); } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A single redis-server on a free loopback port.</summary>
public sealed class RedisServerFixture : IDisposable
{
    public RedisServerFixture()
    {
        Server = new RedisProcess(cluster: false);
        Uri = $"redis://127.0.0.1:{Server.Port}";
        Storage = RedisSkvStorage.Connect(Uri);
    }

    public RedisProcess Server { get; }
    public string Uri { get; }
    public RedisSkvStorage Storage { get; }

    public void Dispose()
    {
        Storage.Dispose();
        Server.Dispose();
    }
}

/// <summary>A 3-primary Redis Cluster (redis-cli --cluster create) on loopback; every node killed on dispose.</summary>
public sealed class RedisClusterFixture : IDisposable
{
    private readonly List<RedisProcess> _nodes = [];

    public RedisClusterFixture()
    {
        try
        {
            for (int i = 0; i < 3; i++) _nodes.Add(new RedisProcess(cluster: true));
            string endpoints = string.Join(' ', _nodes.Select(n => $"127.0.0.1:{n.Port}"));
            RedisBinaries.Run(RedisBinaries.RedisCli, $"--cluster create {endpoints} --cluster-yes", TimeSpan.FromSeconds(60));
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (!_nodes.All(n => n.Cli("cluster info").Contains("cluster_state:ok")))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the cluster did not reach cluster_state:ok");
                Thread.Sleep(100);
            }
            Uri = "redis://" + string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}"));
            Storage = RedisSkvStorage.Connect(Uri);
            if (!Storage.IsCluster) throw new InvalidOperationException("connected, but not as a cluster");
        }
        catch
        {
            foreach (var n in _nodes) n.Dispose();
            throw;
        }
    }

    public IReadOnlyList<RedisProcess> Nodes => _nodes;
    public string Uri { get; } = "";
    public RedisSkvStorage Storage { get; } = null!;

    public void Dispose()
    {
        Storage?.Dispose();
        foreach (var n in _nodes) n.Dispose();
    }
}

[CollectionDefinition("cluster")]
public sealed class ClusterCollection : ICollectionFixture<RedisClusterFixture>;
