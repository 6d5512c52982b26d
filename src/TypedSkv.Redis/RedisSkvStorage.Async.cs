using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace TypedSkv.Redis;

// Batched and asynchronous access (docs/redis.md, "Batches and async"). Every async member uses the
// StackExchange.Redis async methods: no thread waits on a round trip. As in the synchronous members, a lost or slow
// server surfaces as SkvUnavailableException (Unavailable.Call, and Unavailable.CallAsync when a reply is awaited),
// and a write waits for RedisSkvOptions.WaitReplicas replicas (WaitForReplicasAsync) after its EXEC succeeded. Reads honour a cancellation at any point (an
// abandoned read changes nothing); writes honour it only before they are sent, then wait for the outcome (bounded by
// the connection's async timeout), so a cancelled write is one that was not made.
public sealed partial class RedisSkvStorage
{
    /// <summary>Keys per <c>MGET</c>: large enough to amortise the round trip, small enough not to stall the server.</summary>
    internal const int GetBatch = 1024;

    /// <summary>
    /// The values of <paramref name="keys"/> in their order (null for a missing key): one <c>MGET</c> per
    /// <see cref="GetBatch"/> keys of one slot (on a single server or Garnet, of any keys), all sent before the first
    /// reply is read, so the whole list costs about one round trip.
    /// </summary>
    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new byte[]?[keys.Count];
        Unavailable.Call(() =>
        {
            foreach (var (positions, reply) in SendGets(keys)) Fill(values, positions, Await(reply));
        });
        return values;
    }

    public async ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        cancellationToken.ThrowIfCancellationRequested();
        var values = new byte[]?[keys.Count];
        foreach (var (positions, reply) in Unavailable.Call(() => SendGets(keys)))
            Fill(values, positions, await Unavailable.CallAsync(() => reply.WaitAsync(cancellationToken)).ConfigureAwait(false));
        return values;
    }

    public async ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        byte[] dataKey = RedisKeys.DataKey(key.Span);
        return (byte[]?)await Unavailable.CallAsync(() => Database.StringGetAsync(dataKey).WaitAsync(cancellationToken)).ConfigureAwait(false);
    }

    /// <summary>Sends the MGETs for <paramref name="keys"/>: per slot on a cluster (MGET must stay in one slot), in key order otherwise.</summary>
    private List<(int[] Positions, Task<RedisValue[]> Reply)> SendGets(IReadOnlyList<byte[]> keys)
    {
        var sent = new List<(int[], Task<RedisValue[]>)>();
        if (keys.Count == 0) return sent;
        var groups = new Dictionary<int, List<int>>();
        for (int i = 0; i < keys.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(keys[i], nameof(keys));
            int slot = IsCluster ? _connection.HashSlot(RedisKeys.DataKey(keys[i])) : 0;
            if (!groups.TryGetValue(slot, out var group)) groups[slot] = group = [];
            group.Add(i);
        }
        foreach (var group in groups.Values)
        {
            for (int start = 0; start < group.Count; start += GetBatch)
            {
                int[] positions = group.GetRange(start, Math.Min(GetBatch, group.Count - start)).ToArray();
                var redisKeys = new RedisKey[positions.Length];
                for (int j = 0; j < positions.Length; j++) redisKeys[j] = RedisKeys.DataKey(keys[positions[j]]);
                sent.Add((positions, Database.StringGetAsync(redisKeys)));
            }
        }
        return sent;
    }

    /// <summary>
    /// Waits for a reply in a synchronous member. The task's own fault is thrown (a <c>RedisTimeoutException</c> after
    /// the async timeout, which <see cref="RedisConnection.Connect"/> sets to the sync one, or a <c>RedisConnectionException</c>), as the
    /// synchronous StackExchange.Redis calls throw, rather than <c>IDatabase.Wait</c>'s plain <see cref="TimeoutException"/>;
    /// callers wrap it in <see cref="Unavailable.Call{T}(Func{T})"/>, which maps those to <see cref="SkvUnavailableException"/>.
    /// </summary>
    internal static T Await<T>(Task<T> reply) => reply.GetAwaiter().GetResult();

    private static void Fill(byte[]?[] values, int[] positions, RedisValue[] reply)
    {
        for (int j = 0; j < positions.Length; j++) values[positions[j]] = (byte[]?)reply[j];
    }

    // ---- asynchronous writes: the same MULTI/EXEC as the synchronous ones (version counter included) ----

    public async ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tx = PrepareWrite(key.Span, value.Span, null, out var written);
        await Unavailable.CallAsync(() => tx.ExecuteAsync()).ConfigureAwait(false);
        // sent: neither the outcome nor the replicas' confirmation is cancelled (bounded by the timeouts)
        await WaitForReplicasAsync([written]).ConfigureAwait(false);
    }

    public async ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var tx = PrepareDelete(key.Span, out var deleted, out var written);
        await Unavailable.CallAsync(() => tx.ExecuteAsync()).ConfigureAwait(false);
        bool existed = await deleted.ConfigureAwait(false);
        if (existed) await WaitForReplicasAsync([written]).ConfigureAwait(false);
        return existed;
    }

    /// <summary>Nothing to wait for: a Redis transaction is buffered on the client until its commit.</summary>
    public ValueTask<ISkvWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(BeginWrite());
    }

    // ---- asynchronous scans ----

    public IAsyncEnumerable<SkvEntry> ScanPrefixAsync(ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken = default)
    {
        var (from, to) = SkvStore.PrefixRange(prefix.Span);
        return RedisKeys.PrefixFixesTag(prefix.Span)
            ? ScanTagAsync(RedisKeys.IndexKeyOf(prefix.Span), from, to, cancellationToken)
            : ScanRangeAsync(from, to, cancellationToken);
    }

    public IAsyncEnumerable<SkvEntry> ScanRangeAsync(byte[]? fromInclusive, byte[]? toExclusive, CancellationToken cancellationToken = default)
    {
        int common = CommonPrefix(fromInclusive, toExclusive);
        if (fromInclusive is not null && toExclusive is not null && RedisKeys.PrefixFixesTag(fromInclusive.AsSpan(0, common)))
            return ScanTagAsync(RedisKeys.IndexKeyOf(fromInclusive), fromInclusive, toExclusive, cancellationToken);
        return MergeTagsAsync(fromInclusive, toExclusive, cancellationToken);
    }

    /// <summary><see cref="ScanTag"/> without blocking: one round trip per page of <see cref="PageSize"/> keys.</summary>
    internal async IAsyncEnumerable<SkvEntry> ScanTagAsync(byte[] indexKey, byte[]? from, byte[]? to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var page = new TagPager(this, indexKey, from, to);
        var members = await Unavailable.CallAsync(() => page.First().WaitAsync(cancellationToken)).ConfigureAwait(false);
        while (members.Length > 0)
        {
            var (values, next) = Unavailable.Call(() => page.Next(members));
            var read = await Unavailable.CallAsync(() => values.WaitAsync(cancellationToken)).ConfigureAwait(false);
            // (a reply already there completes WaitAsync whatever the token: check it once per page)
            cancellationToken.ThrowIfCancellationRequested();
            for (int i = 0; i < members.Length; i++)
            {
                if (read[i].IsNull) continue; // deleted since the page was read
                yield return new SkvEntry((byte[])members[i]!, (byte[])read[i]!);
            }
            if (next is null) yield break;
            members = await Unavailable.CallAsync(() => next.WaitAsync(cancellationToken)).ConfigureAwait(false);
        }
    }

    private async IAsyncEnumerable<SkvEntry> MergeTagsAsync(byte[]? from, byte[]? to, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var scans = new List<IAsyncEnumerator<SkvEntry>>();
        try
        {
            var queue = new PriorityQueue<int, byte[]>(ByteComparer.Instance);
            foreach (var tag in await TagsAsync(cancellationToken).ConfigureAwait(false))
            {
                var e = ScanTagAsync(RedisKeys.IndexKey(tag), from, to, cancellationToken).GetAsyncEnumerator(cancellationToken);
                scans.Add(e);
                if (await e.MoveNextAsync().ConfigureAwait(false)) queue.Enqueue(scans.Count - 1, e.Current.Key.ToArray());
            }
            while (queue.TryDequeue(out int i, out _))
            {
                yield return scans[i].Current;
                if (await scans[i].MoveNextAsync().ConfigureAwait(false)) queue.Enqueue(i, scans[i].Current.Key.ToArray());
            }
        }
        finally
        {
            foreach (var e in scans) await e.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary><see cref="Tags"/> without blocking (SCAN and TYPE on every primary).</summary>
    public Task<IReadOnlyCollection<byte[]>> TagsAsync(CancellationToken cancellationToken = default) =>
        Unavailable.CallAsync(() => FindTagsAsync(cancellationToken));

    private async Task<IReadOnlyCollection<byte[]>> FindTagsAsync(CancellationToken cancellationToken)
    {
        var tags = new SortedSet<byte[]>(ByteComparer.Instance);
        foreach (var server in Primaries())
        {
            await foreach (var key in server.KeysAsync(Database.Database, pattern: "{*}", pageSize: 1000).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (TagOf(key) is { } tag && await Database.KeyTypeAsync(key).ConfigureAwait(false) == RedisType.SortedSet) tags.Add(tag);
            }
        }
        return tags;
    }

    private static byte[]? TagOf(RedisKey key) => RedisKeys.TryParseIndexKey((byte[])key!, out var tag) ? tag.ToArray() : null;
}
