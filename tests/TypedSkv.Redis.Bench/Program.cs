// Typed Get/Put over the embedded store, Garnet (in this process) and redis-server (a child process), all on
// 127.0.0.1. Stopwatch loops, ops/s; no assertions. Usage:
//   dotnet run -c Release --project tests/TypedSkv.Redis.Bench -- [--n 20000] [--threads 8] [--redis-server /usr/bin/redis-server]
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Garnet;
using TypedSkv;
using TypedSkv.Redis;

int Arg(string name, int fallback) => Array.IndexOf(args, name) is int i and >= 0 ? int.Parse(args[i + 1]) : fallback;
string? StrArg(string name) => Array.IndexOf(args, name) is int i and >= 0 ? args[i + 1] : null;
int n = Arg("--n", 20_000);
int threads = Arg("--threads", 8);
string redisServer = StrArg("--redis-server") ?? "/usr/bin/redis-server";

Console.WriteLine($"typed Get/Put, N = {n} per run, record ~{BenchRecord.Sample(0).Name.Length + 60} bytes JSON, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine($"| backend | Put 1 thread | Get 1 thread | Put {threads} threads | Get {threads} threads | unit |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- |");

string dir = Path.Combine(Path.GetTempPath(), "skv-redis-bench-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(dir);
try
{
    using (var store = SkvStore.Open(Path.Combine(dir, "bench.skv"), new SkvOptions { Durability = SkvDurability.None }))
        Row("embedded (Durability.None)", store);
    using (var store = SkvStore.Open(Path.Combine(dir, "bench-fsync.skv")))
        Row("embedded (Durability.Fsync, default)", store, putN: Math.Min(n, 2000));

    int garnetPort = FreePort();
    using (var garnet = new GarnetServer(["--bind", "127.0.0.1", "--port", garnetPort.ToString(), "--memory", "512m", "--index", "64m", "--logger-level", "Error"]))
    {
        garnet.Start();
        using var storage = RedisSkvStorage.Connect($"redis://127.0.0.1:{garnetPort}");
        Row("Garnet 2.2.8 in-process, loopback", storage);
    }

    if (File.Exists(redisServer))
    {
        int port = FreePort();
        using var redis = Process.Start(new ProcessStartInfo(redisServer)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        try
        {
            WaitForPort(port);
            using var storage = RedisSkvStorage.Connect($"redis://127.0.0.1:{port}");
            Row("redis-server 7, loopback", storage);
        }
        finally
        {
            redis.Kill(entireProcessTree: true);
            redis.WaitForExit();
        }
    }
    else Console.WriteLine($"| redis-server | not found at {redisServer} | | | | |");
}
finally
{
    try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
}

void Row(string name, ISkvStorage storage, int? putN = null)
{
    var db = new BenchDb(storage);
    int pn = putN ?? n;
    for (int i = 0; i < Math.Min(pn, 1000); i++) db.Records.Put(BenchRecord.Sample(i)); // warm-up
    double put1 = Rate(pn, 1, (i, _) => db.Records.Put(BenchRecord.Sample(i)));
    double get1 = Rate(n, 1, (i, _) => { if (db.Records.Get(i % pn) is null) throw new InvalidOperationException("missing"); });
    double putT = Rate(pn, threads, (i, _) => db.Records.Put(BenchRecord.Sample(i)));
    double getT = Rate(n, threads, (i, _) => { if (db.Records.Get(i % pn) is null) throw new InvalidOperationException("missing"); });
    Console.WriteLine($"| {name} | {put1:N0} | {get1:N0} | {putT:N0} | {getT:N0} | ops/s |");
}

static double Rate(int count, int threads, Action<int, int> op)
{
    var clock = Stopwatch.StartNew();
    if (threads == 1)
    {
        for (int i = 0; i < count; i++) op(i, 0);
    }
    else
    {
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
        {
            for (int i = t; i < count; i += threads) op(i, t);
        });
    }
    return count / clock.Elapsed.TotalSeconds;
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static void WaitForPort(int port)
{
    for (int i = 0; i < 400; i++)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException)
        {
            Thread.Sleep(25);
        }
    }
    throw new TimeoutException($"nothing listens on {port}");
}

[SkvRecord("records")]
public sealed record BenchRecord([property: SkvKey] int Id, string Name, string Email, long Score)
{
    public static BenchRecord Sample(int i) => new(i, "name-" + i, $"user{i}@example.com", i * 7L);
}

[SkvDatabase(typeof(BenchRecord))]
public sealed partial class BenchDb;
