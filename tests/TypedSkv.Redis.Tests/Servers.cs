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
    private readonly List<string> _args;
    private Process _process;

    /// <param name="cluster">Cluster mode, with its nodes.conf in the node's directory.</param>
    /// <param name="port">A port to take (a restarted server); a free one otherwise.</param>
    /// <param name="extraArgs">More redis-server options; later ones win (e.g. <c>--cluster-node-timeout 1000</c>, <c>--port 0 --tls-port P</c>).</param>
    /// <param name="cliOptions">What redis-cli needs to talk to it (TLS files, a password).</param>
    public RedisProcess(bool cluster, int? port = null, IEnumerable<string>? extraArgs = null, string cliOptions = "")
    {
        CliOptions = cliOptions;
        Port = port ?? Ports.Free();
        Directory = Path.Combine(Path.GetTempPath(), "skv-redis-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        _args = ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", Directory, "--protected-mode", "no"];
        if (cluster) _args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", Path.Combine(Directory, "nodes.conf")]);
        if (extraArgs is not null) _args.AddRange(extraArgs);
        _process = Start();
    }

    private Process Start()
    {
        var psi = new ProcessStartInfo(RedisBinaries.RedisServer) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in _args) psi.ArgumentList.Add(a);
        var process = Process.Start(psi)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        WaitForPing(process);
        return process;
    }

    /// <summary>Starts the killed server again on its port and directory (a cluster node keeps its nodes.conf; no data: no persistence).</summary>
    public void Restart()
    {
        Kill();
        _process.Dispose();
        _process = Start();
    }

    public int Port { get; }
    public string Directory { get; }
    public int ProcessId => _process.Id;
    public bool IsRunning => !_process.HasExited;
    public string CliOptions { get; }

    public string Cli(string args) => RedisBinaries.Run(RedisBinaries.RedisCli, $"-h 127.0.0.1 -p {Port} {CliOptions} {args}", TimeSpan.FromSeconds(30));

    private void WaitForPing(Process process)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"redis-server on port {Port} exited with {process.ExitCode}");
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

    /// <summary>Kills the server with SIGKILL (what .NET's Kill sends on Linux); Dispose is then a no-op for the process.</summary>
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

/// <summary>
/// A Redis Cluster of 3 primaries and 3 replicas on loopback (redis-cli --cluster create --cluster-replicas 1), with a
/// short cluster-node-timeout so that a replica takes over about a second after its primary dies. Tests kill a
/// primary (<see cref="KillPrimaryOf"/>), wait for the failover, and <see cref="Heal"/> restarts the killed node,
/// which rejoins as a replica, so the next test starts from 3 + 3 again (each test heals first, so one that failed
/// half-way leaves nothing behind).
/// </summary>
public sealed class RedisFailoverClusterFixture : IDisposable
{
    public const int NodeTimeoutMs = 1000;
    private readonly List<RedisProcess> _nodes = [];

    public RedisFailoverClusterFixture()
    {
        try
        {
            string[] options = ["--cluster-node-timeout", NodeTimeoutMs.ToString(), "--cluster-replica-validity-factor", "0", "--repl-diskless-sync-delay", "0"];
            for (int i = 0; i < 6; i++) _nodes.Add(new RedisProcess(cluster: true, extraArgs: options));
            string endpoints = string.Join(' ', _nodes.Select(n => $"127.0.0.1:{n.Port}"));
            RedisBinaries.Run(RedisBinaries.RedisCli, $"--cluster create {endpoints} --cluster-replicas 1 --cluster-yes", TimeSpan.FromSeconds(60));
            WaitHealthy();
            Uri = "redis://" + string.Join(',', _nodes.Select(n => $"127.0.0.1:{n.Port}"));
        }
        catch
        {
            foreach (var n in _nodes) n.Dispose();
            throw;
        }
    }

    public IReadOnlyList<RedisProcess> Nodes => _nodes;
    public string Uri { get; } = "";

    public RedisSkvStorage Connect(RedisSkvOptions? options = null, TimeSpan? timeout = null) => RedisSkvStorage.Connect(Uri, timeout ?? TimeSpan.FromSeconds(2), options);

    /// <summary>The node lines of CLUSTER NODES as one running node sees them.</summary>
    private List<string[]> ClusterNodes(RedisProcess from) =>
        [.. from.Cli("cluster nodes").Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim().Split(' '))];

    private RedisProcess ByAddress(string address)
    {
        int port = int.Parse(address.Split('@')[0].Split(':')[1]);
        return _nodes.Single(n => n.Port == port);
    }

    /// <summary>The node serving the slot of a Redis key (e.g. a collection's <c>{events}</c>), as a running node sees it.</summary>
    public RedisProcess PrimaryOf(string redisKey)
    {
        var from = _nodes.First(n => n.IsRunning);
        int slot = int.Parse(from.Cli($"cluster keyslot {redisKey}").Trim());
        foreach (var node in ClusterNodes(from))
        {
            if (!node[2].Contains("master") || node[2].Contains("fail")) continue;
            foreach (string range in node.Skip(8))
            {
                if (range.StartsWith('[')) continue;
                var bounds = range.Split('-');
                int lo = int.Parse(bounds[0]), hi = bounds.Length > 1 ? int.Parse(bounds[1]) : lo;
                if (slot >= lo && slot <= hi) return ByAddress(node[1]);
            }
        }
        throw new InvalidOperationException($"no primary serves slot {slot}");
    }

    /// <summary>SIGKILLs the primary of <paramref name="redisKey"/>'s slot; returns it (for <see cref="Heal"/>).</summary>
    public RedisProcess KillPrimaryOf(string redisKey)
    {
        var primary = PrimaryOf(redisKey);
        primary.Kill();
        return primary;
    }

    /// <summary>Polls CLUSTER NODES (deadline 60 s) until another node serves the slot of <paramref name="redisKey"/> and the cluster is ok again.</summary>
    public RedisProcess WaitForFailover(string redisKey, RedisProcess killed)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                var primary = PrimaryOf(redisKey);
                if (primary != killed && _nodes.Where(n => n.IsRunning).All(n => n.Cli("cluster info").Contains("cluster_state:ok"))) return primary;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no replica took over the slot of {redisKey} from port {killed.Port}");
            Thread.Sleep(50);
        }
    }

    /// <summary>Restarts every killed node (each rejoins as a replica) and waits until the cluster is 3 + 3 with every replica in sync.</summary>
    public void Heal()
    {
        foreach (var node in _nodes.Where(n => !n.IsRunning)) node.Restart();
        WaitHealthy();
    }

    /// <summary>Polls (deadline 60 s) until every node says cluster_state:ok and sees 3 primaries and 3 replicas, each replica's link up.</summary>
    public void WaitHealthy()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Healthy())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the cluster did not become 3 primaries + 3 synced replicas");
            Thread.Sleep(50);
        }
    }

    private bool Healthy()
    {
        if (!_nodes.All(n => n.IsRunning && n.Cli("cluster info").Contains("cluster_state:ok"))) return false;
        foreach (var n in _nodes)
        {
            var nodes = ClusterNodes(n);
            if (nodes.Count(l => l[2].Contains("master") && !l[2].Contains("fail") && l.Length > 8) != 3) return false;
            if (nodes.Count(l => l[2].Contains("slave") && !l[2].Contains("fail")) != 3) return false;
            string replication = n.Cli("info replication");
            if (replication.Contains("role:slave") && !replication.Contains("master_link_status:up")) return false;
        }
        return true;
    }

    public void Dispose()
    {
        foreach (var n in _nodes) n.Dispose();
    }
}
