using BenchmarkDotNet.Attributes;
using TypedSkv;

namespace TypedSkv.Benchmarks;

/// <summary>
/// BenchmarkDotNet micro benchmarks of the hot paths (run: dotnet run -c Release --project tests/TypedSkv.Benchmarks -- --filter '*').
/// The side-by-side comparison with SQLite, LiteDB, LMDB and RocksDB is the --quick run (and --scale).
/// </summary>
[MemoryDiagnoser]
public class EngineMicroBenchmarks
{
    private const int Records = 100_000;
    private string _dir = "";
    private SkvStore _store = null!;
    private byte[][] _keys = null!;
    private byte[] _value = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), "typedskv-bdn-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
        _store = SkvStore.Open(Path.Combine(_dir, "bdn.skv"), new SkvOptions { Durability = SkvDurability.None });
        _value = new byte[100];
        new Random(1).NextBytes(_value);
        _keys = Enumerable.Range(0, Records).Select(i => BenchData.Key(i)).ToArray(); // hex-hash keys, random order
        var batch = new SkvWriteBatch();
        foreach (var k in _keys) batch.Put(k, _value);
        _store.Write(batch);
        _store.Flush();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Benchmark]
    public byte[] Get() => _store.Get(_keys[_next++ % Records]);

    [Benchmark]
    public bool ContainsKey() => _store.ContainsKey(_keys[_next++ % Records]);

    [Benchmark]
    public void PutOverwrite() => _store.Put(_keys[_next++ % Records], _value);

    [Benchmark]
    public int ScanPrefix100()
    {
        // the first 100 keys under 2 leading hex characters (about 390 keys each at 100,000 records)
        int n = 0, seen = 0;
        foreach (var e in _store.ScanPrefix(_keys[_next++ % Records].AsSpan(0, 2)))
        {
            n += e.ValueLength;
            if (++seen == 100) break;
        }
        return n;
    }
}
