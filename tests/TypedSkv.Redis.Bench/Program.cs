// Typed Get/Put over the embedded store, Garnet (in this process) and redis-server (a child process), all on
// 127.0.0.1: single calls (1 and --threads threads), batches (PutMany/GetMany of --batch records) and async calls
// (--window outstanding at once), then redis-benchmark's own SET/GET rate on the same servers as the ceiling
// (-P 1 and -P --pipeline). Stopwatch loops, ops/s (records/s for batches); no assertions. Usage:
//   dotnet run -c Release --project tests/TypedSkv.Redis.Bench -- [--n 20000] [--threads 8] [--batch 256] [--window 64]
//     [--benchmark-n 100000] [--pipeline 16] [--redis-server /usr/bin/redis-server] [--redis-benchmark /usr/bin/redis-benchmark]
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
int batch = Arg("--batch", 256);
int window = Arg("--window", 64);
int benchmarkN = Arg("--benchmark-n", 100_000);
int pipeline = Arg("--pipeline", 16);
string redisServer = StrArg("--redis-server") ?? "/usr/bin/redis-server";
string redisBenchmark = StrArg("--redis-benchmark") ?? "/usr/bin/redis-benchmark";
var ceilings = new List<string>();

Console.WriteLine($"typed Get/Put, N = {n} per run, record ~{BenchRecord.Sample(0).Name.Length + 60} bytes JSON, {Environment.ProcessorCount} cores, .NET {Environment.Version}");
Console.WriteLine();
Console.WriteLine($"| backend | Put 1 thread | Get 1 thread | Put {threads} threads | Get {threads} threads | PutMany ({batch}) | GetMany ({batch}) | PutAsync ({window} out) | GetAsync ({window} out) | unit |");
Console.WriteLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");

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
        Ceiling("Garnet 2.2.8 in-process", garnetPort);
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
            Ceiling("redis-server 7", port);
        }
        finally
        {
            redis.Kill(entireProcessTree: true);
            redis.WaitForExit();
        }
    }
    else Console.WriteLine($"| redis-server | not found at {redisServer} | | | | | | | | |");

    Console.WriteLine();
    Console.WriteLine($"Ceiling: redis-benchmark -h 127.0.0.1 -p <port> -t set,get -n {benchmarkN} -d 80 -c 50 -P <P> -q (3-byte keys, 80-byte values), same servers:");
    Console.WriteLine();
    Console.WriteLine($"| server | SET -P 1 | GET -P 1 | SET -P {pipeline} | GET -P {pipeline} | unit |");
    Console.WriteLine("| --- | --- | --- | --- | --- | --- |");
    foreach (var line in ceilings) Console.WriteLine(line);
}
finally
{
    try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
}

void Ceiling(string name, int port)
{
    if (!File.Exists(redisBenchmark))
    {
        ceilings.Add($"| {name} | redis-benchmark not found at {redisBenchmark} | | | | |");
        return;
    }
    var (set1, get1) = RedisBenchmark(port, 1);
    var (setP, getP) = RedisBenchmark(port, pipeline);
    ceilings.Add($"| {name} | {set1:N0} | {get1:N0} | {setP:N0} | {getP:N0} | requests/s |");
}

(double Set, double Get) RedisBenchmark(int port, int p)
{
    var psi = new ProcessStartInfo(redisBenchmark) { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in new[] { "-h", "127.0.0.1", "-p", port.ToString(), "-t", "set,get", "-n", benchmarkN.ToString(), "-d", "80", "-c", "50", "-P", p.ToString(), "-q" })
        psi.ArgumentList.Add(a);
    using var process = Process.Start(psi)!;
    string output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    // "SET: 81234.56 requests per second, p50=0.311 msec" (progress lines end with '\r')
    double Rps(string test) => output.Split('\n', '\r').Select(l => l.Trim()).Where(l => l.StartsWith(test + ":", StringComparison.Ordinal))
        .Select(l => double.Parse(l[(test.Length + 1)..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture)).LastOrDefault();
    return (Rps("SET"), Rps("GET"));
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
    // batches: n records (pn for puts) in PutMany/GetMany calls of `batch` records each, one thread
    double putMany = Rate((pn + batch - 1) / batch, 1, (b, _) => db.Records.PutMany(Enumerable.Range(b * batch, Math.Min(batch, pn - b * batch)).Select(BenchRecord.Sample))) * batch;
    double getMany = Rate((n + batch - 1) / batch, 1, (b, _) =>
    {
        foreach (var r in db.Records.GetMany(Enumerable.Range(b * batch, Math.Min(batch, n - b * batch)).Select(i => i % pn))) if (r is null) throw new InvalidOperationException("missing");
    }) * batch;
    // async: `window` calls outstanding at once from one flow (no thread per call)
    double putAsync = RateAsync(pn, window, i => db.Records.PutAsync(BenchRecord.Sample(i)));
    double getAsync = RateAsync(n, window, async i => { if (await db.Records.GetAsync(i % pn) is null) throw new InvalidOperationException("missing"); });
    Console.WriteLine($"| {name} | {put1:N0} | {get1:N0} | {putT:N0} | {getT:N0} | {putMany:N0} | {getMany:N0} | {putAsync:N0} | {getAsync:N0} | ops/s |");
}

static double RateAsync(int count, int window, Func<int, Task> op)
{
    var clock = Stopwatch.StartNew();
    Task.WhenAll(Enumerable.Range(0, window).Select(async w =>
    {
        for (int i = w; i < count; i += window) await op(i).ConfigureAwait(false);
    })).GetAwaiter().GetResult();
    return count / clock.Elapsed.TotalSeconds;
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
