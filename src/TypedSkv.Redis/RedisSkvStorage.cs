using System.Diagnostics.CodeAnalysis;
using System.Net;
using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// <see cref="ISkvStorage"/> over Redis 7, Redis Cluster or Garnet (StackExchange.Redis). Layout and atomicity:
/// docs/redis.md and <see cref="RedisKeys"/>. Every write of a value goes with its ordering-index update in one
/// MULTI/EXEC; transactions are optimistic (WATCH of the keys read, via StackExchange.Redis conditions).
/// </summary>
public sealed partial class RedisSkvStorage : ISkvStorage
{
    internal const int PageSize = 512;
    private readonly ConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;

    public RedisSkvStorage(ConnectionMultiplexer connection, bool ownsConnection = false)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
        _ownsConnection = ownsConnection;
        Database = connection.GetDatabase();
        IsCluster = connection.GetServers().Any(s => s.ServerType == ServerType.Cluster);
    }

    /// <summary>
    /// Connects to <c>redis://host:port</c>, <c>redis://host1:port1,host2:port2</c> (cluster seeds) or a
    /// StackExchange.Redis configuration string, and owns the connection.
    /// </summary>
    public static RedisSkvStorage Connect(string connection, TimeSpan? timeout = null)
    {
        var options = ParseConnection(connection);
        int ms = (int)(timeout ?? TimeSpan.FromSeconds(5)).TotalMilliseconds;
        options.ConnectTimeout = ms;
        options.SyncTimeout = ms;
        options.AsyncTimeout = ms;
        options.AbortOnConnectFail = true;
        return new RedisSkvStorage(ConnectionMultiplexer.Connect(options), ownsConnection: true);
    }

    /// <summary>Whether <paramref name="target"/> names a Redis server (<c>redis://...</c>) rather than a store file.</summary>
    public static bool IsRedisUri(string target) => target.StartsWith("redis://", StringComparison.OrdinalIgnoreCase);

    public static ConfigurationOptions ParseConnection(string connection)
    {
        ArgumentException.ThrowIfNullOrEmpty(connection);
        string config = connection;
        if (IsRedisUri(connection))
        {
            config = connection["redis://".Length..].TrimEnd('/');
            if (config.Length == 0) throw new ArgumentException($"no host in {connection}", nameof(connection));
        }
        var options = ConfigurationOptions.Parse(config);
        if (options.EndPoints.Count == 0) throw new ArgumentException($"no endpoint in {connection}", nameof(connection));
        foreach (var endpoint in options.EndPoints)
        {
            if (endpoint is DnsEndPoint { Port: 0 } or IPEndPoint { Port: 0 })
                throw new ArgumentException($"no port in {connection}", nameof(connection));
        }
        return options;
    }

    public IDatabase Database { get; }

    public ConnectionMultiplexer Connection => _connection;

    /// <summary>The server is a Redis Cluster (transactions must stay within one slot: one collection).</summary>
    public bool IsCluster { get; }

    // ---- reads ----

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        value = (byte[]?)Database.StringGet(RedisKeys.DataKey(key));
        return value is not null;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key) => Database.KeyExists(RedisKeys.DataKey(key));

    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix)
    {
        var (from, to) = SkvStore.PrefixRange(prefix);
        // a prefix that holds a separator ("users/") names one tag: read that collection's sorted set alone
        return RedisKeys.PrefixFixesTag(prefix) ? ScanTag(RedisKeys.IndexKeyOf(prefix), from, to) : ScanRange(from, to);
    }

    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive)
    {
        // one tag when every key of the range shares a prefix holding a separator; otherwise merge every tag's range
        int common = CommonPrefix(fromInclusive, toExclusive);
        if (fromInclusive is not null && toExclusive is not null && RedisKeys.PrefixFixesTag(fromInclusive.AsSpan(0, common)))
            return ScanTag(RedisKeys.IndexKeyOf(fromInclusive), fromInclusive, toExclusive);
        return MergeTags(fromInclusive, toExclusive);
    }

    private static int CommonPrefix(byte[]? a, byte[]? b) =>
        a is null || b is null ? 0 : a.AsSpan().CommonPrefixLength(b);

    private IEnumerable<SkvEntry> MergeTags(byte[]? from, byte[]? to)
    {
        var scans = new List<IEnumerator<SkvEntry>>();
        try
        {
            var queue = new PriorityQueue<int, byte[]>(ByteComparer.Instance);
            foreach (var tag in Tags())
            {
                var e = ScanTag(RedisKeys.IndexKey(tag), from, to).GetEnumerator();
                scans.Add(e);
                if (e.MoveNext()) queue.Enqueue(scans.Count - 1, e.Current.Key.ToArray());
            }
            while (queue.TryDequeue(out int i, out _))
            {
                yield return scans[i].Current;
                if (scans[i].MoveNext()) queue.Enqueue(i, scans[i].Current.Key.ToArray());
            }
        }
        finally
        {
            foreach (var e in scans) e.Dispose();
        }
    }

    /// <summary>Every tag that has an ordering index, found with SCAN on every primary.</summary>
    public IEnumerable<byte[]> Tags()
    {
        var tags = new SortedSet<byte[]>(ByteComparer.Instance);
        foreach (var server in Primaries())
        {
            foreach (var key in server.Keys(Database.Database, pattern: "{*}", pageSize: 1000))
            {
                // only sorted sets are ordering indexes: an application's own "{name}" string is not ours
                if (RedisKeys.TryParseIndexKey((byte[])key!, out var tag) && Database.KeyType(key) == RedisType.SortedSet)
                    tags.Add(tag.ToArray());
            }
        }
        return tags;
    }

    internal IEnumerable<IServer> Primaries()
    {
        // every primary, or an error: a SCAN that silently skipped a disconnected primary would miss its keys
        var servers = _connection.GetServers().Where(s => !s.IsReplica).ToList();
        if (servers.Count == 0) throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "no primary server known");
        if (servers.FirstOrDefault(s => !s.IsConnected) is { } down)
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, $"primary {down.EndPoint} is not connected; a scan of the keyspace would miss its keys");
        return servers;
    }

    /// <summary>
    /// Keys of one ordering index in [from, to), with their values, page by page: the <c>MGET</c> of a page's values
    /// and the <c>ZRANGEBYLEX</c> of the next page go out together, so a page costs one round trip.
    /// </summary>
    internal IEnumerable<SkvEntry> ScanTag(byte[] indexKey, byte[]? from, byte[]? to)
    {
        var page = new TagPager(this, indexKey, from, to);
        var members = Await(page.First());
        while (members.Length > 0)
        {
            var (values, next) = page.Next(members);
            var read = Await(values);
            for (int i = 0; i < members.Length; i++)
            {
                if (read[i].IsNull) continue; // deleted since the page was read
                yield return new SkvEntry((byte[])members[i]!, (byte[])read[i]!);
            }
            if (next is null) yield break;
            members = Await(next);
        }
    }

    /// <summary>The requests of a paged scan of one ordering index (shared by <see cref="ScanTag"/> and <c>ScanTagAsync</c>).</summary>
    private sealed class TagPager(RedisSkvStorage storage, byte[] indexKey, byte[]? from, byte[]? to)
    {
        private readonly RedisValue _max = to is null ? RedisValue.Null : (RedisValue)to;

        public Task<RedisValue[]> First() => Range(from is null ? RedisValue.Null : (RedisValue)from, Exclude.Stop);

        /// <summary>Sends the MGET of <paramref name="members"/> and, if the page was full, the range of the next page.</summary>
        public (Task<RedisValue[]> Values, Task<RedisValue[]>? Next) Next(RedisValue[] members)
        {
            var keys = new RedisKey[members.Length];
            for (int i = 0; i < members.Length; i++) keys[i] = RedisKeys.DataKey((byte[])members[i]!);
            var values = storage.Database.StringGetAsync(keys);
            return (values, members.Length < PageSize ? null : Range(members[^1], Exclude.Both));
        }

        private Task<RedisValue[]> Range(RedisValue min, Exclude exclude) =>
            storage.Database.SortedSetRangeByValueAsync(indexKey, min, _max, exclude, Order.Ascending, 0, PageSize);
    }

    /// <summary>Number of keys: the sum of the ordering indexes' sizes.</summary>
    public long Count()
    {
        long n = 0;
        foreach (var tag in Tags()) n += Database.SortedSetLength(RedisKeys.IndexKey(tag));
        return n;
    }

    // ---- writes: value and ordering index in one MULTI/EXEC ----

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, null);

    public bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, false);

    public bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, true);

    private bool Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool? mustExist) => PrepareWrite(key, value, mustExist).Execute();

    /// <summary>The MULTI/EXEC of one write (value and ordering-index member), not yet sent.</summary>
    private ITransaction PrepareWrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool? mustExist)
    {
        ValidateKey(key);
        byte[] k = key.ToArray();
        byte[] dataKey = RedisKeys.DataKey(key);
        var tx = Database.CreateTransaction();
        if (mustExist == true) tx.AddCondition(Condition.KeyExists(dataKey));
        if (mustExist == false) tx.AddCondition(Condition.KeyNotExists(dataKey));
        _ = tx.StringSetAsync(dataKey, value.ToArray());
        _ = tx.SortedSetAddAsync(RedisKeys.IndexKeyOf(key), k, 0);
        return tx;
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        var tx = PrepareDelete(key, out var deleted);
        tx.Execute();
        return deleted.Result;
    }

    private ITransaction PrepareDelete(ReadOnlySpan<byte> key, out Task<bool> deleted)
    {
        ValidateKey(key);
        var tx = Database.CreateTransaction();
        deleted = tx.KeyDeleteAsync(RedisKeys.DataKey(key));
        _ = tx.SortedSetRemoveAsync(RedisKeys.IndexKeyOf(key), key.ToArray());
        return tx;
    }

    internal static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty || key.Length > 1024) throw new ArgumentException($"key length {key.Length} is outside 1..1024 bytes", nameof(key));
    }

    public ISkvWriteTransaction BeginWrite() => new RedisWriteTransaction(this);

    public ISkvReadView OpenReadView() => new RedisReadView(this);

    public ISkvRecordSink BeginRestore() => new RedisRecordSink(this);

    /// <summary>
    /// Removes every TypedSkv record and ordering index from every primary; returns the records removed. Only keys a
    /// collection's sorted set lists are removed, so an application's own keys in the same database stay, whatever
    /// their names.
    /// </summary>
    public long Clear()
    {
        long removed = 0;
        foreach (var tag in Tags())
        {
            RedisKey index = RedisKeys.IndexKey(tag);
            while (true)
            {
                var members = Database.SortedSetRangeByRank(index, 0, 999, flags: CommandFlags.DemandMaster);
                if (members.Length == 0) break;
                var dataKeys = members.Select(m => (RedisKey)RedisKeys.DataKey((byte[])m!)).ToArray();
                // values and their index members go together (one tag, one slot), as in Delete
                var tx = Database.CreateTransaction();
                _ = tx.KeyDeleteAsync(dataKeys, CommandFlags.DemandMaster);
                _ = tx.SortedSetRemoveAsync(index, members, CommandFlags.DemandMaster);
                tx.Execute(CommandFlags.DemandMaster);
                removed += members.Length;
            }
            Database.KeyDelete(index, CommandFlags.DemandMaster);
        }
        return removed;
    }

    public void Dispose()
    {
        if (_ownsConnection) _connection.Dispose();
    }

    public override string ToString() => $"RedisSkvStorage({_connection.Configuration})";
}

/// <summary>Unsigned lexicographic byte order (the order of ZRANGEBYLEX and of the embedded store).</summary>
internal sealed class ByteComparer : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static readonly ByteComparer Instance = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
