using System.Net;
using System.Diagnostics.CodeAnalysis;
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

    /// <summary>
    /// Keys of one ordering index in [from, to), with their values, page by page: the <c>MGET</c> of a page's values
    /// and the <c>ZRANGEBYLEX</c> of the next page go out together, so a page costs one round trip.
    /// </summary>
    internal IEnumerable<SkvEntry> ScanTag(byte[] indexKey, byte[]? from, byte[]? to)
    {
        var page = new TagPager(this, indexKey, from, to);
        // each send and each wait for a reply maps a lost or slow server to SkvUnavailableException
        var members = Unavailable.Call(() => Await(page.First()));
        while (members.Length > 0)
        {
            var (values, next) = Unavailable.Call(() => page.Next(members));
            var read = Unavailable.Call(() => Await(values));
            for (int i = 0; i < members.Length; i++)
            {
                if (read[i].IsNull) continue; // deleted since the page was read
                yield return new SkvEntry((byte[])members[i]!, (byte[])read[i]!);
            }
            if (next is null) yield break;
            members = Unavailable.Call(() => Await(next));
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
        foreach (var tag in Tags()) n += Unavailable.Call(() => Database.SortedSetLength(RedisKeys.IndexKey(tag)));
        return n;
    }

    // ---- writes: value and ordering index in one MULTI/EXEC ----

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, null);

    public bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, false);

    public bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Write(key, value, true);

    private bool Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool? mustExist)
    {
        var tx = PrepareWrite(key, value, mustExist, out var written);
        if (!Unavailable.Call(() => tx.Execute())) return false;
        WaitForReplicas([written]);
        return true;
    }

    /// <summary>
    /// The MULTI/EXEC of one write (value, ordering-index member and the tag's version counter), not yet sent (shared
    /// by the synchronous and asynchronous writes); <paramref name="written"/> is what <c>WaitForReplicas</c>
    /// checks after it.
    /// </summary>
    private ITransaction PrepareWrite(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool? mustExist, out (byte[] Key, Task<EndPoint?>? Before) written)
    {
        ValidateKey(key);
        byte[] k = key.ToArray();
        byte[] dataKey = RedisKeys.DataKey(key);
        written = (dataKey, PrimaryBefore(dataKey));
        var tx = Database.CreateTransaction();
        if (mustExist == true) tx.AddCondition(Condition.KeyExists(dataKey));
        if (mustExist == false) tx.AddCondition(Condition.KeyNotExists(dataKey));
        _ = tx.StringSetAsync(dataKey, value.ToArray());
        _ = tx.SortedSetAddAsync(RedisKeys.IndexKeyOf(key), k, 0);
        _ = tx.StringIncrementAsync(RedisKeys.VersionKeyOf(key));
        return tx;
    }

    public bool Delete(ReadOnlySpan<byte> key)
    {
        var tx = PrepareDelete(key, out var deleted, out var written);
        Unavailable.Call(() => tx.Execute());
        if (deleted.Result) WaitForReplicas([written]);
        return deleted.Result;
    }

    private ITransaction PrepareDelete(ReadOnlySpan<byte> key, out Task<bool> deleted, out (byte[] Key, Task<EndPoint?>? Before) written)
    {
        ValidateKey(key);
        byte[] dataKey = RedisKeys.DataKey(key);
        written = (dataKey, PrimaryBefore(dataKey));
        var tx = Database.CreateTransaction();
        deleted = tx.KeyDeleteAsync(dataKey);
        _ = tx.SortedSetRemoveAsync(RedisKeys.IndexKeyOf(key), key.ToArray());
        _ = tx.StringIncrementAsync(RedisKeys.VersionKeyOf(key));
        return tx;
    }

    // ---- replication waits (RedisSkvOptions.WaitReplicas), after a successful EXEC ----

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
            primaries.Add(SamePrimary(before is not null, was, now));
        }
        WaitForReplicas(primaries);
    }

    /// <summary><c>WaitForReplicas</c> without blocking a thread.</summary>
    internal async Task WaitForReplicasAsync(IEnumerable<(byte[] Key, Task<EndPoint?>? Before)> writes)
    {
        if (Options.WaitReplicas == 0) return;
        var primaries = new HashSet<EndPoint>();
        foreach (var (key, before) in writes)
        {
            EndPoint? was = before is null ? null : await Unavailable.CallAsync(() => before).ConfigureAwait(false);
            EndPoint? now = await Unavailable.CallAsync(() => Database.IdentifyEndpointAsync(key)).ConfigureAwait(false);
            primaries.Add(SamePrimary(before is not null, was, now));
        }
        await WaitForReplicasAsync(primaries).ConfigureAwait(false);
    }

    /// <summary>The primary a key was written to, or the error when its slot moved around the write.</summary>
    private EndPoint SamePrimary(bool known, EndPoint? was, EndPoint? now)
    {
        // WAIT covers this connection's writes to one server: if the key's slot moved to another primary around
        // the write (a failover), a WAIT there would confirm nothing about the write
        if (now is null || (known && !now.Equals(was)))
        {
            throw new SkvReplicationException(
                $"the write is not confirmed on any replica: the primary of its slot changed while it was written ({was?.ToString() ?? "unknown"} -> {now?.ToString() ?? "none"}, a failover); it may be lost - write it again",
                Options.WaitReplicas, 0);
        }
        return now;
    }

    /// <summary>With <see cref="RedisSkvOptions.WaitReplicas"/>: the primary of the key as the write is sent (pipelined ahead of it).</summary>
    internal Task<EndPoint?>? PrimaryBefore(byte[] dataKey) => Options.WaitReplicas == 0 ? null : Database.IdentifyEndpointAsync(dataKey);

    internal void WaitForReplicas(IEnumerable<EndPoint> primaries)
    {
        if (Options.WaitReplicas == 0) return;
        long ms = WaitMilliseconds;
        foreach (var endpoint in primaries)
        {
            long confirmed;
            try
            {
                confirmed = (long)Unavailable.Call(() => _connection.GetServer(endpoint).Execute("WAIT", Options.WaitReplicas, ms));
            }
            catch (RedisServerException ex) when (IsUnknownCommand(ex))
            {
                throw NoWait(endpoint, ex);
            }
            CheckConfirmed(endpoint, confirmed, ms);
        }
    }

    /// <summary><c>WaitForReplicas</c> without blocking a thread.</summary>
    internal async Task WaitForReplicasAsync(IEnumerable<EndPoint> primaries)
    {
        if (Options.WaitReplicas == 0) return;
        long ms = WaitMilliseconds;
        foreach (var endpoint in primaries)
        {
            long confirmed;
            try
            {
                confirmed = (long)await Unavailable.CallAsync(() => _connection.GetServer(endpoint).ExecuteAsync("WAIT", Options.WaitReplicas, ms)).ConfigureAwait(false);
            }
            catch (RedisServerException ex) when (IsUnknownCommand(ex))
            {
                throw NoWait(endpoint, ex);
            }
            CheckConfirmed(endpoint, confirmed, ms);
        }
    }

    private long WaitMilliseconds => Math.Max(1, (long)Options.WaitReplicasTimeout.TotalMilliseconds);

    private static bool IsUnknownCommand(RedisServerException ex) => ex.Message.Contains("unknown command", StringComparison.OrdinalIgnoreCase);

    private static SkvException NoWait(EndPoint endpoint, RedisServerException ex) =>
        new($"RedisSkvOptions.WaitReplicas needs the WAIT command, which the server {endpoint} does not have (Garnet, for one, has none); the write is applied on it, and no replica confirmed it", ex);

    private void CheckConfirmed(EndPoint endpoint, long confirmed, long ms)
    {
        if (confirmed < Options.WaitReplicas)
        {
            throw new SkvReplicationException(
                $"the write is applied on the primary {endpoint} but only {confirmed} of the {Options.WaitReplicas} replicas asked for (RedisSkvOptions.WaitReplicas) " +
                $"confirmed it within {ms} ms: it is visible, and can be lost if that primary fails before it replicates; writing it again is safe",
                Options.WaitReplicas, (int)confirmed);
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
