using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace TypedSkv.Benchmarks;

[SkvRecord("users")]
public sealed record BenchUser([property: SkvKey] int Id, string Name, string Email, int Age, DateTime Joined);

[SkvDatabase(typeof(BenchUser))]
public sealed partial class BenchDb;

/// <summary>
/// Typed accessors (generated serializers) against the raw byte API (the same bytes, no serialization) and against
/// reflection-based System.Text.Json over the raw API. Non-durable store, so the figures are CPU cost per call.
/// </summary>
public sealed class TypedRun(int n, string directory, TextWriter output)
{
    public sealed record Row(string Operation, double Raw, double Typed, double Reflection);

    public List<Row> Rows { get; } = [];

    public void Run()
    {
        var users = Enumerable.Range(0, n)
            .Select(i => new BenchUser(i, $"user {i}", $"user{i}@example.com", 20 + i % 50, new DateTime(2024, 1, 1).AddMinutes(i)))
            .ToArray();
        var order = Enumerable.Range(0, n).ToArray();
        new Random(7).Shuffle(order);
        string dir = Path.Combine(directory, "typed");
        Directory.CreateDirectory(dir);

        using var db = BenchDb.Open(Path.Combine(dir, "typed.skv"), new SkvOptions { Durability = SkvDurability.None });
        var rawKeys = users.Select(u => Encoding.UTF8.GetBytes($"raw/{u.Id:D10}")).ToArray();
        var rawValues = users.Select(u => db.Users.ToJson(u)).ToArray();
        var reflKeys = users.Select(u => Encoding.UTF8.GetBytes($"refl/{u.Id:D10}")).ToArray();
        var store = db.Store;

        double Time(Action<int> body)
        {
            for (int i = 0; i < Math.Min(n, 2000); i++) body(order[i]); // warm up
            var sw = Stopwatch.StartNew();
            foreach (int i in order) body(i);
            return n / sw.Elapsed.TotalSeconds;
        }

        double rawPut = Time(i => store.Put(rawKeys[i], rawValues[i]));
        double typedPut = Time(i => db.Users.Put(users[i]));
        double reflPut = Time(i => store.Put(reflKeys[i], JsonSerializer.SerializeToUtf8Bytes(users[i])));
        Rows.Add(new("put", rawPut, typedPut, reflPut));

        long sink = 0;
        double rawGet = Time(i => sink += store.Get(rawKeys[i]).Length);
        double typedGet = Time(i => sink += db.Users.Get(i)!.Age);
        double reflGet = Time(i => sink += JsonSerializer.Deserialize<BenchUser>(store.Get(reflKeys[i]))!.Age);
        Rows.Add(new("get", rawGet, typedGet, reflGet));
        if (sink == 42) output.WriteLine(); // keep the reads observable
    }

    public void PrintTable()
    {
        output.WriteLine();
        output.WriteLine($"Typed accessors, {n:N0} records (5 properties, ~90 bytes of JSON), non-durable, ops/s:");
        output.WriteLine();
        output.WriteLine("| operation | raw bytes | typed (generated) | System.Text.Json reflection | typed cost vs raw | typed vs reflection |");
        output.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var r in Rows)
            output.WriteLine($"| {r.Operation} | {r.Raw / 1e3:0}k | {r.Typed / 1e3:0}k | {r.Reflection / 1e3:0}k | {r.Raw / r.Typed:0.00}x | {r.Typed / r.Reflection:0.00}x faster |");
    }
}
