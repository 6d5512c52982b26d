using RocksDbSharp;

namespace TypedSkv.Benchmarks;

/// <summary>
/// RocksDB through the RocksDB package (which ships librocksdb): default options (LSM tree, 64 MB memtable, write-ahead
/// log). Non-durable = the WAL is written but not synced; durable = sync per write, which RocksDB group-commits across
/// concurrent writers itself. A clean close (Dispose) does not flush the memtable: the next open replays the WAL.
/// </summary>
public sealed class RocksDbSystem : IKvSystem
{
    private RocksDb? _db;
    private WriteOptions _write = new();
    public string Name => "RocksDB";

    public void Open(string dir, bool durable)
    {
        _db = RocksDb.Open(new DbOptions().SetCreateIfMissing(true), dir);
        _write = new WriteOptions().SetSync(durable);
    }

    public void Close() { _db?.Dispose(); _db = null; }
    public void Put(byte[] key, byte[] value) => _db!.Put(key, value, null, _write);

    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        using var wb = new WriteBatch();
        foreach (var (k, v) in batch) wb.Put(k, v);
        _db!.Write(wb, _write);
    }

    public byte[]? Get(byte[] key) => _db!.Get(key);
    public Func<byte[], byte[]?> ReaderForThread() => Get;

    public int CountPrefix(byte[] prefix, int limit)
    {
        using var it = _db!.NewIterator();
        int n = 0;
        for (it.Seek(prefix); it.Valid() && n < limit && it.GetKeySpan().StartsWith(prefix); it.Next())
        {
            _ = it.Value();
            n++;
        }
        return n;
    }

    public long ScanAllBytes()
    {
        using var it = _db!.NewIterator();
        long b = 0;
        for (it.SeekToFirst(); it.Valid(); it.Next()) b += it.Key().Length + it.Value().Length;
        return b;
    }

    public void Dispose() => Close();
}
