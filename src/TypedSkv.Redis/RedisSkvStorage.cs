using System.Net;
using System.Diagnostics.CodeAnalysis;
using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// <see cref="ISkvStorage"/> over Redis 7, Redis Cluster or Garnet (StackExchange.Redis). Layout and atomicity:
/// docs/redis.md and <see cref="RedisKeys"/>. Every write of a value goes with its ordering-index update in one
/// MULTI/EXEC; transactions are optimistic (WATCH of the keys read, via StackExchange.Redis conditions).
/// </summary>
public sealed class RedisSkvStorage : ISkvStorage
{
    internal const int PageSize = 512;
    private readonly ConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;

    public RedisSkvStorage(ConnectionMultiplexer connection, bool ownsConnection = false, RedisSkvOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        options ??= new RedisSkvOptions();
        options.Validate();
        if (options.WaitReplicas > 0 && options.WaitReplicasTimeout.TotalMilliseconds >= connection.TimeoutMilliseconds)
            throw new ArgumentException($"RedisSkvOptions.WaitReplicasTimeout ({options.WaitReplicasTimeout.TotalMilliseconds} ms) must be shorter than the connection's timeout ({connection.TimeoutMilliseconds} ms), or every WAIT that runs out times the connection out", nameof(options));
        _connection = connection;
        _ownsConnection = ownsConnection;
        Options = options;
        Database = connection.GetDatabase();
        IsCluster = connection.GetServers().Any(s => s.ServerType == ServerType.Cluster);
    }

    /// <summary>Replication waits and backup reads (<see cref="RedisSkvOptions"/>).</summary>
    public RedisSkvOptions Options { get; }

    /// <summary>
    /// Connects to a <c>redis://</c> or <c>rediss://</c> (TLS) URI, <c>redis[s]://[user[:password]@]host[:port][/db]</c>
    /// or a comma-separated list of cluster seeds, or to a StackExchange.Redis configuration string, and owns the
    /// connection (docs/redis.md, "Connecting"). Failures: <see cref="SkvRedisConnectionException"/>.
    /// </summary>
    public static RedisSkvStorage Connect(string connection, TimeSpan? timeout = null, RedisSkvOptions? options = null) =>
        Connect(connection, new RedisConnectionOptions { Timeout = timeout ?? TimeSpan.FromSeconds(5) }, options);

    /// <summary>
    /// Connects with credentials, TLS files and the timeout from <paramref name="connectionOptions"/>, and the
    /// replication waits and backup reads of <paramref name="options"/>.
    /// </summary>
    public static RedisSkvStorage Connect(string connection, RedisConnectionOptions connectionOptions, RedisSkvOptions? options = null)
    {
        options?.Validate();
        var multiplexer = RedisConnection.Connect(connection, connectionOptions);
        try
        {
            return new RedisSkvStorage(multiplexer, ownsConnection: true, options);
        }
        catch
        {
            multiplexer.Dispose();
            throw;
        }
    }

    /// <summary>Whether <paramref name="target"/> names a Redis server (<c>redis://...</c>, <c>rediss://...</c>) rather than a store file.</summary>
    public static bool IsRedisUri(string target) => RedisConnection.IsUri(target);

    /// <summary>The StackExchange.Redis options for <paramref name="connection"/> (see <see cref="RedisConnection.Parse"/>).</summary>
    public static ConfigurationOptions ParseConnection(string connection) => RedisConnection.Parse(connection);

    public IDatabase Database { get; }

    public ConnectionMultiplexer Connection => _connection;

    /// <summary>The server is a Redis Cluster (transactions must stay within one slot: one collection).</summary>
    public bool IsCluster { get; }

    // ---- reads ----

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        byte[] dataKey = RedisKeys.DataKey(key);
        value = Unavailable.Call(() => (byte[]?)Database.StringGet(dataKey));
        return value is not null;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        byte[] dataKey = RedisKeys.DataKey(key);
        return Unavailable.Call(() => Database.KeyExists(dataKey));
    }

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
    public IEnumerable<byte[]> Tags() => Unavailable.Call(() =>
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
    });

    internal List<IServer> Primaries()
    {
        // every primary, or an error: a SCAN that silently skipped a disconnected primary would miss its keys
        var servers = FindPrimaries();
        if (IsCluster && servers.Any(s => !s.IsConnected))
        {
            // the client's view may predate a failover (a long-lived connection): read the cluster's layout again
            _connection.Configure();
            servers = FindPrimaries();
        }
        if (servers.FirstOrDefault(s => !s.IsConnected) is { } down)
            throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, $"primary {down.EndPoint} is not connected; a scan of the keyspace would miss its keys");
        return servers;
    }

    private List<IServer> FindPrimaries()
    {
        List<IServer> servers;
        if (IsCluster)
        {
            // the primaries that serve slots in the cluster's view (CLUSTER NODES as the client last read it from a
            // connected node): a primary that failed and whose slots its replica took over is none of them any more
            var seen = _connection.GetServers().FirstOrDefault(s => s.IsConnected && s.ClusterConfiguration is not null)
                ?? throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "no server of the cluster is connected");
            var nodes = seen.ClusterConfiguration!.Nodes;
            servers = [.. nodes.Where(n => !n.IsReplica && n.Slots.Count > 0 && n.EndPoint is not null).Select(n => _connection.GetServer(n.EndPoint!))];
        }
        else
        {
            servers = [.. _connection.GetServers().Where(s => !s.IsReplica)];
        }
        if (servers.Count == 0) throw new RedisConnectionException(ConnectionFailureType.UnableToConnect, "no primary server known");
        return servers;
    }

    /// <summary>Keys of one ordering index in [from, to), with their values, page by page (ZRANGEBYLEX + MGET).</summary>
    internal IEnumerable<SkvEntry> ScanTag(byte[] indexKey, byte[]? from, byte[]? to)
    {
        RedisValue min = from is null ? RedisValue.Null : (RedisValue)from;
        RedisValue max = to is null ? RedisValue.Null : (RedisValue)to;
        var exclude = Exclude.Stop;
        while (true)
        {
            var members = Unavailable.Call(() => Database.SortedSetRangeByValue(indexKey, min, max, exclude, Order.Ascending, 0, PageSize));
            if (members.Length == 0) yield break;
            var keys = new RedisKey[members.Length];
            for (int i = 0; i < members.Length; i++) keys[i] = RedisKeys.DataKey((byte[])members[i]!);
            var values = Unavailable.Call(() => Database.StringGet(keys));
            for (int i = 0; i < members.Length; i++)
            {
                if (values[i].IsNull) continue; // deleted since the page was read
                yield return new SkvEntry((byte[])members[i]!, (byte[])values[i]!);
            }
            if (members.Length < PageSize) yield break;
            min = members[^1];
            exclude = Exclude.Both;
        }
    }

    /// <summary>Number of keys: the sum of the ordering indexes' sizes.</summary>
    public long Count()
    {
        long n = 0;
        foreach (var tag in Tags()) n += Unavailable.Call(() => Database.SortedSetLength(RedisKeys.IndexKey(tag)));
        return n;
    }

    // ---- writes: value and ordering index in one MULTI/EXEC ----

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, null);

    public bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, false);

    public bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, true);

    private bool Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool? mustExist)
    {
        ValidateKey(key);
        byte[] k = key.ToArray();
        byte[] dataKey = RedisKeys.DataKey(key);
        var before = PrimaryBefore(dataKey);
        var tx = Database.CreateTransaction();
        if (mustExist == true) tx.AddCondition(Condition.KeyExists(dataKey));
        if (mustExist == false) tx.AddCondition(Condition.KeyNotExists(dataKey));
        _ = tx.StringSetAsync(dataKey, value.ToArray());
        _ = tx.SortedSetAddAsync(RedisKeys.IndexKeyOf(key), k, 0);
        _ = tx.StringIncrementAsync(RedisKeys.VersionKeyOf(key));
        if (!Unavailable.Call(() => tx.Execute())) return false;
        WaitForReplicas([(dataKey, before)]);
        return true;
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        ValidateKey(key);
        byte[] dataKey = RedisKeys.DataKey(key);
        var before = PrimaryBefore(dataKey);
        var tx = Database.CreateTransaction();
        var deleted = tx.KeyDeleteAsync(dataKey);
        _ = tx.SortedSetRemoveAsync(RedisKeys.IndexKeyOf(key), key.ToArray());
        _ = tx.StringIncrementAsync(RedisKeys.VersionKeyOf(key));
        Unavailable.Call(() => tx.Execute());
        if (deleted.Result) WaitForReplicas([(dataKey, before)]);
        return deleted.Result;
    }

    /// <summary>
    /// With <see cref="RedisSkvOptions.WaitReplicas"/>: WAIT on the primary of each key just written (the same
    /// connection the write went over, so WAIT covers it) until that many replicas confirm, or throw.
    /// </summary>
    internal void WaitForReplicas(IEnumerable<(byte[] Key, Task<EndPoint?>? Before)> writes)
    {
        if (Options.WaitReplicas == 0) return;
        var primaries = new HashSet<EndPoint>();
        foreach (var (key, before) in writes)
        {
            EndPoint? was = before is null ? null : Unavailable.Call(() => before.GetAwaiter().GetResult());
            EndPoint? now = Unavailable.Call(() => Database.IdentifyEndpoint(key));
            // WAIT covers this connection's writes to one server: if the key's slot moved to another primary around
            // the write (a failover), a WAIT there would confirm nothing about the write
            if (now is null || (before is not null && !now.Equals(was)))
            {
                throw new SkvReplicationException(
                    $"the write is not confirmed on any replica: the primary of its slot changed while it was written ({was?.ToString() ?? "unknown"} -> {now?.ToString() ?? "none"}, a failover); it may be lost - write it again",
                    Options.WaitReplicas, 0);
            }
            primaries.Add(now);
        }
        WaitForReplicas(primaries);
    }

    /// <summary>With <see cref="RedisSkvOptions.WaitReplicas"/>: the primary of the key as the write is sent (pipelined ahead of it).</summary>
    internal Task<EndPoint?>? PrimaryBefore(byte[] dataKey) => Options.WaitReplicas == 0 ? null : Database.IdentifyEndpointAsync(dataKey);

    internal void WaitForReplicas(IEnumerable<EndPoint> primaries)
    {
        if (Options.WaitReplicas == 0) return;
        long ms = Math.Max(1, (long)Options.WaitReplicasTimeout.TotalMilliseconds);
        foreach (var endpoint in primaries)
        {
            long confirmed;
            try
            {
                confirmed = (long)Unavailable.Call(() => _connection.GetServer(endpoint).Execute("WAIT", Options.WaitReplicas, ms));
            }
            catch (RedisServerException ex) when (ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase))
            {
                throw new SkvException($"RedisSkvOptions.WaitReplicas needs the WAIT command, which the server {endpoint} does not have (Garnet, for one, has none); the write is applied on it, and no replica confirmed it", ex);
            }
            if (confirmed < Options.WaitReplicas)
            {
                throw new SkvReplicationException(
                    $"the write is applied on the primary {endpoint} but only {confirmed} of the {Options.WaitReplicas} replicas asked for (RedisSkvOptions.WaitReplicas) " +
                    $"confirmed it within {ms} ms: it is visible, and can be lost if that primary fails before it replicates; writing it again is safe",
                    Options.WaitReplicas, (int)confirmed);
            }
        }
    }

    internal static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.IsEmpty || key.Length > 1024) throw new ArgumentException($"key length {key.Length} is outside 1..1024 bytes", nameof(key));
    }

    public ISkvWriteTransaction BeginWrite() => new RedisWriteTransaction(this);

    public ISkvReadView OpenReadView() => new RedisReadView(this);

    /// <summary>Each collection (hash tag) read at one version of it, into a temporary file (docs/redis.md, "Backups of a live server").</summary>
    public ISkvReadView OpenBackupView() => new RedisBackupView(this);

    public ISkvRecordSink BeginRestore() => new RedisRecordSink(this);

    /// <summary>
    /// Removes every TypedSkv record and ordering index from every primary; returns the records removed. Only keys a
    /// collection's sorted set lists are removed, so an application's own keys in the same database stay, whatever
    /// their names.
    /// </summary>
    public long Clear() => Unavailable.Call(() =>
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
                _ = tx.StringIncrementAsync(RedisKeys.VersionKey(tag), flags: CommandFlags.DemandMaster);
                tx.Execute(CommandFlags.DemandMaster);
                removed += members.Length;
            }
            // the version counter stays: it only ever grows, so a backup reading the tag meanwhile sees the change
            Database.KeyDelete(index, CommandFlags.DemandMaster);
        }
        if (removed > 0) WaitForReplicas(Primaries().Select(p => p.EndPoint));
        return removed;
    });

    public void Dispose()
    {
        if (_ownsConnection) _connection.Dispose();
    }

    // not _connection.Configuration: StackExchange.Redis prints that with the password
    public override string ToString() => $"RedisSkvStorage({string.Join(",", _connection.GetEndPoints().Select(e => e.ToString()))})";
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
