using System.Buffers.Binary;
using LiteDB;
using Microsoft.Data.Sqlite;
using TypedSkv;

namespace TypedSkv.Benchmarks;

/// <summary>One store under test, driven through the same small surface by every workload.</summary>
public interface IKvSystem : IDisposable
{
    string Name { get; }
    void Open(string dir, bool durable);
    void Close();
    void Put(byte[] key, byte[] value);
    void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch);
    byte[]? Get(byte[] key);
    /// <summary>Called once per reading thread; returns a reader bound to that thread.</summary>
    Func<byte[], byte[]?> ReaderForThread();
    /// <summary>Reads up to <paramref name="limit"/> entries (keys and values) under the prefix, in key order.</summary>
    int CountPrefix(byte[] prefix, int limit);
    long ScanAllBytes();
}

/// <summary>
/// TypedSkv; <paramref name="inMemoryIndex"/>: with <see cref="SkvOptions.UseCheckpoint"/> false ("TypedSkv-mem"), the key
/// index the engine had before the persistent checkpoint (the whole log replayed into memory at open), for the goal "point
/// reads at 1M no slower than 1.2x the in-memory index" measured in one run.
/// </summary>
public sealed class TypedSkvSystem(bool inMemoryIndex = false) : IKvSystem
{
    private SkvStore? _store;
    private string _path = "";
    public string Name => inMemoryIndex ? "TypedSkv-mem" : "TypedSkv";

    public void Open(string dir, bool durable)
    {
        _path = Path.Combine(dir, "bench.skv");
        _store = SkvStore.Open(_path, new SkvOptions { Durability = durable ? SkvDurability.Fsync : SkvDurability.None, UseCheckpoint = !inMemoryIndex });
    }

    public void Close() { _store?.Dispose(); _store = null; }
    public void Put(byte[] key, byte[] value) => _store!.Put(key, value);

    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        using var tx = _store!.BeginTransaction();
        foreach (var (k, v) in batch) tx.Put(k, v);
        tx.Commit();
    }

    public byte[]? Get(byte[] key) => _store!.GetOrDefault(key);
    public Func<byte[], byte[]?> ReaderForThread() => Get;
    public int CountPrefix(byte[] prefix, int limit)
    {
        int n = 0;
        foreach (var e in _store!.ScanPrefix(prefix)) { e.GetValue(); if (++n == limit) break; }
        return n;
    }
    public long ScanAllBytes() { long b = 0; foreach (var e in _store!.Scan()) b += e.Key.Length + e.GetValue().Length; return b; }
    public void Dispose() => Close();
}

public sealed class SqliteSystem : IKvSystem
{
    private SqliteConnection? _conn;
    private string _cs = "";
    private SqliteCommand? _put, _get;
    public string Name => "SQLite";

    public void Open(string dir, bool durable)
    {
        _cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dir, "bench.sqlite"), Pooling = true }.ToString();
        _conn = new SqliteConnection(_cs);
        _conn.Open();
        Exec(_conn, "PRAGMA journal_mode=WAL;");
        Exec(_conn, durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;");
        Exec(_conn, "CREATE TABLE IF NOT EXISTS kv(k BLOB PRIMARY KEY, v BLOB NOT NULL) WITHOUT ROWID;");
        _put = _conn.CreateCommand();
        _put.CommandText = "INSERT OR REPLACE INTO kv(k, v) VALUES ($k, $v)";
        _put.Parameters.Add("$k", SqliteType.Blob);
        _put.Parameters.Add("$v", SqliteType.Blob);
        _put.Prepare();
        _get = GetCommand(_conn);
    }

    private static SqliteCommand GetCommand(SqliteConnection c)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT v FROM kv WHERE k = $k";
        cmd.Parameters.Add("$k", SqliteType.Blob);
        cmd.Prepare();
        return cmd;
    }

    private static void Exec(SqliteConnection c, string sql) { using var cmd = c.CreateCommand(); cmd.CommandText = sql; cmd.ExecuteNonQuery(); }

    public void Close()
    {
        _put?.Dispose(); _get?.Dispose(); _conn?.Dispose();
        _put = _get = null; _conn = null;
        SqliteConnection.ClearAllPools();
    }

    public void Put(byte[] key, byte[] value)
    {
        _put!.Parameters[0].Value = key;
        _put.Parameters[1].Value = value;
        _put.ExecuteNonQuery();
    }

    /// <summary>For concurrent writers: one connection per thread (SQLite serializes writers itself).</summary>
    public Action<byte[], byte[]> WriterForThread(bool durable)
    {
        var c = new SqliteConnection(_cs);
        c.Open();
        Exec(c, "PRAGMA busy_timeout=60000;");
        Exec(c, durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;");
        var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT OR REPLACE INTO kv(k, v) VALUES ($k, $v)";
        cmd.Parameters.Add("$k", SqliteType.Blob);
        cmd.Parameters.Add("$v", SqliteType.Blob);
        cmd.Prepare();
        return (k, v) => { cmd.Parameters[0].Value = k; cmd.Parameters[1].Value = v; cmd.ExecuteNonQuery(); };
    }

    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        using var tx = _conn!.BeginTransaction();
        _put!.Transaction = tx;
        foreach (var (k, v) in batch)
        {
            _put.Parameters[0].Value = k;
            _put.Parameters[1].Value = v;
            _put.ExecuteNonQuery();
        }
        tx.Commit();
        _put.Transaction = null;
    }

    public byte[]? Get(byte[] key) { _get!.Parameters[0].Value = key; return _get.ExecuteScalar() as byte[]; }

    public Func<byte[], byte[]?> ReaderForThread()
    {
        var c = new SqliteConnection(_cs);
        c.Open();
        var cmd = GetCommand(c);
        return k => { cmd.Parameters[0].Value = k; return cmd.ExecuteScalar() as byte[]; };
    }

    public int CountPrefix(byte[] prefix, int limit)
    {
        using var cmd = _conn!.CreateCommand();
        cmd.CommandText = "SELECT v FROM kv WHERE k >= $a AND k < $b ORDER BY k LIMIT $n";
        cmd.Parameters.AddWithValue("$a", prefix);
        cmd.Parameters.AddWithValue("$b", PrefixEnd(prefix));
        cmd.Parameters.AddWithValue("$n", limit);
        using var r = cmd.ExecuteReader();
        int n = 0;
        while (r.Read()) { _ = (byte[])r[0]; n++; }
        return n;
    }

    public long ScanAllBytes()
    {
        using var cmd = _conn!.CreateCommand();
        cmd.CommandText = "SELECT k, v FROM kv ORDER BY k";
        using var r = cmd.ExecuteReader();
        long b = 0;
        while (r.Read()) b += ((byte[])r[0]).Length + ((byte[])r[1]).Length;
        return b;
    }

    internal static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        end[^1]++;
        return end;
    }

    public void Dispose() => Close();
}

public sealed class LiteDbSystem : IKvSystem
{
    private LiteDatabase? _db;
    private ILiteCollection<BsonDocument>? _col;
    public string Name => "LiteDB";

    public void Open(string dir, bool durable)
    {
        // LiteDB always journals its writes; it has no non-durable mode to choose
        _db = new LiteDatabase(new ConnectionString { Filename = Path.Combine(dir, "bench.litedb"), Connection = ConnectionType.Direct });
        _col = _db.GetCollection<BsonDocument>("kv");
    }

    public void Close() { _db?.Dispose(); _db = null; _col = null; }
    public void Put(byte[] key, byte[] value) => _col!.Upsert(new BsonDocument { ["_id"] = key, ["v"] = value });
    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        var docs = new List<BsonDocument>(batch.Length);
        foreach (var (k, v) in batch) docs.Add(new BsonDocument { ["_id"] = k, ["v"] = v });
        _col!.Upsert(docs);
    }

    public byte[]? Get(byte[] key) => _col!.FindById(key)?["v"].AsBinary;

    /// <summary>
    /// Readers take turns: concurrent FindById calls on one LiteDatabase intermittently throw "Page type must be data
    /// page" (LiteDB 5.0.21, seen here with 2 reader threads at 100,000 records), LiteDB's known page-cache race.
    /// </summary>
    public Func<byte[], byte[]?> ReaderForThread() => key => { lock (_readLock) return Get(key); };

    private readonly object _readLock = new();
    public int CountPrefix(byte[] prefix, int limit)
    {
        int n = 0;
        foreach (var d in _col!.Find(Query.And(Query.GTE("_id", prefix), Query.LT("_id", SqliteSystem.PrefixEnd(prefix))), skip: 0, limit: limit))
        {
            _ = d["v"].AsBinary;
            n++;
        }
        return n;
    }
    public long ScanAllBytes() { long b = 0; foreach (var d in _col!.FindAll()) b += d["_id"].AsBinary.Length + d["v"].AsBinary.Length; return b; }
    public void Dispose() => Close();
}

/// <summary>The physical limit: an append-only file plus a Dictionary of offsets. No checksums, no order, no recovery.</summary>
public sealed class AppendLogSystem : IKvSystem
{
    private FileStream? _log;
    private Microsoft.Win32.SafeHandles.SafeFileHandle? _read;
    private readonly Dictionary<byte[], (long Offset, int Length)> _index = new(ByteArrayComparer.Instance);
    private bool _durable;
    public string Name => "AppendLog+Dict";

    public void Open(string dir, bool durable)
    {
        string path = Path.Combine(dir, "bench.log");
        _durable = durable;
        _log = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 256 * 1024);
        _read = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // reopen is a rebuild of the index; the limit run keeps it in memory
    }

    public void Close() { _log?.Dispose(); _read?.Dispose(); _log = null; _read = null; }

    public void Put(byte[] key, byte[] value)
    {
        lock (_index) PutLocked(key, value);
    }

    private void PutLocked(byte[] key, byte[] value)
    {
        long at = _log!.Position;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(len, key.Length);
        BinaryPrimitives.WriteInt32LittleEndian(len[4..], value.Length);
        _log.Write(len);
        _log.Write(key);
        _log.Write(value);
        _index[key] = (at + 8 + key.Length, value.Length);
        if (_durable) _log.Flush(true);
    }

    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        foreach (var (k, v) in batch)
        {
            bool d = _durable; _durable = false; Put(k, v); _durable = d;
        }
        if (_durable) _log!.Flush(true);
    }

    public byte[]? Get(byte[] key)
    {
        if (!_index.TryGetValue(key, out var at)) return null;
        _log!.Flush();
        var v = new byte[at.Length];
        RandomAccess.Read(_read!, v, at.Offset);
        return v;
    }

    public Func<byte[], byte[]?> ReaderForThread()
    {
        // the readers run after the writes: hand the write buffer to the OS once, not per read
        _log!.Flush();
        return k =>
        {
            if (!_index.TryGetValue(k, out var at)) return null;
            var v = new byte[at.Length];
            RandomAccess.Read(_read!, v, at.Offset);
            return v;
        };
    }

    public int CountPrefix(byte[] prefix, int limit) => -1; // no order: not supported
    public long ScanAllBytes() => -1;
    public void Dispose() => Close();
}

internal sealed class ByteArrayComparer : IEqualityComparer<byte[]>
{
    public static readonly ByteArrayComparer Instance = new();
    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
    public int GetHashCode(byte[] obj) { var h = new HashCode(); h.AddBytes(obj); return h.ToHashCode(); }
}
