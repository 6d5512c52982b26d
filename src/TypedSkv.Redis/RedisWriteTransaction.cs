using System.Diagnostics.CodeAnalysis;
using System.Net;
using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// Optimistic transaction: writes are buffered (read-your-writes), every key read from the server is remembered
/// with the value seen, and Commit sends one MULTI/EXEC per hash tag guarded by those values (WATCH, through
/// StackExchange.Redis conditions). A changed key aborts the EXEC: <see cref="SkvTransactionConflictException"/>,
/// nothing written. On a cluster, a transaction touching several tags (collections) commits tag by tag: each part is
/// atomic, the whole is not (docs/redis.md); on a single server or Garnet it is one MULTI/EXEC.
/// </summary>
internal sealed class RedisWriteTransaction : ISkvWriteTransaction
{
    private readonly RedisSkvStorage _storage;
    private readonly Dictionary<byte[], byte[]?> _writes = new(ByteComparer.Instance);
    private readonly Dictionary<byte[], byte[]?> _reads = new(ByteComparer.Instance);
    private readonly Dictionary<byte[], long> _increments = new(ByteComparer.Instance);
    private bool _finished;
    private int _version; // counts writes, so a scan notices one made while it is enumerated

    public RedisWriteTransaction(RedisSkvStorage storage) => _storage = storage;

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        ThrowIfFinished();
        byte[] k = key.ToArray();
        if (_writes.TryGetValue(k, out value)) return value is not null;
        if (_reads.TryGetValue(k, out value)) return value is not null;
        byte[] dataKey = RedisKeys.DataKey(key);
        value = Unavailable.Call(() => (byte[]?)_storage.Database.StringGet(dataKey));
        _reads[k] = value;
        return value is not null;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key) => TryGet(key, out _);

    /// <summary>Reads (one batch of MGETs for the keys not read or written yet), remembered for the commit's WATCH.</summary>
    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys)
    {
        ThrowIfFinished();
        var unread = Unread(keys);
        if (unread.Count > 0) Remember(unread, _storage.GetMany(unread));
        return Known(keys);
    }

    public async ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        ThrowIfFinished();
        var unread = Unread(keys);
        if (unread.Count > 0) Remember(unread, await _storage.GetManyAsync(unread, cancellationToken).ConfigureAwait(false));
        return Known(keys);
    }

    public async ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) =>
        (await GetManyAsync([key.ToArray()], cancellationToken).ConfigureAwait(false))[0];

    private List<byte[]> Unread(IReadOnlyList<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var unread = new List<byte[]>();
        var seen = new HashSet<byte[]>(ByteComparer.Instance);
        foreach (var key in keys)
        {
            ArgumentNullException.ThrowIfNull(key, nameof(keys));
            if (!_writes.ContainsKey(key) && !_reads.ContainsKey(key) && seen.Add(key)) unread.Add(key);
        }
        return unread;
    }

    private void Remember(List<byte[]> keys, byte[]?[] values)
    {
        // a key read meanwhile (another flow of the caller's) keeps its first value: the one the WATCH guards
        for (int i = 0; i < keys.Count; i++) _reads.TryAdd(keys[i], values[i]);
    }

    private byte[]?[] Known(IReadOnlyList<byte[]> keys)
    {
        var values = new byte[]?[keys.Count];
        for (int i = 0; i < values.Length; i++)
            values[i] = _writes.TryGetValue(keys[i], out var written) ? written : _reads[keys[i]];
        return values;
    }

    /// <summary>
    /// The server's keys in the range merged with the transaction's buffered writes. Every key the scan returns from the
    /// server is remembered as read, so Commit fails if it changed; a key another writer adds to the range meanwhile is
    /// not detected (no range locks: docs/redis.md).
    /// </summary>
    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive)
    {
        ThrowIfFinished();
        return Scan(fromInclusive, toExclusive);
    }

    private IEnumerable<SkvEntry> Scan(byte[]? from, byte[]? to)
    {
        int version = _version;
        bool InRange(byte[] k) => (from is null || ByteComparer.Instance.Compare(k, from) >= 0) && (to is null || ByteComparer.Instance.Compare(k, to) < 0);
        // buffered writes (and increments, whose value the server computes at commit) in the range, in key order
        var own = _writes.Keys.Concat(_increments.Keys).Where(InRange).Distinct(ByteComparer.Instance).Order(ByteComparer.Instance).ToList();
        int next = 0;
        foreach (SkvEntry stored in _storage.ScanRange(from, to))
        {
            byte[] key = stored.Key.ToArray();
            for (; next < own.Count && ByteComparer.Instance.Compare(own[next], key) < 0; next++)
            {
                if (Own(own[next], version) is { } mine) yield return mine;
            }
            if (next < own.Count && ByteComparer.Instance.Equals(own[next], key))
            {
                if (Own(own[next++], version) is { } mine) yield return mine;
                continue;
            }
            if (_finished || _version != version) throw new InvalidOperationException("the transaction was written to, committed or rolled back during a scan of it");
            byte[] value = stored.GetValue();
            _reads.TryAdd(key, value);
            yield return new SkvEntry(key, value);
        }
        for (; next < own.Count; next++)
        {
            if (Own(own[next], version) is { } mine) yield return mine;
        }
    }

    /// <summary>The transaction's own version of a key it wrote (null: deleted); increments read through TryGet.</summary>
    private SkvEntry? Own(byte[] key, int version)
    {
        if (_finished || _version != version) throw new InvalidOperationException("the transaction was written to, committed or rolled back during a scan of it");
        if (_increments.ContainsKey(key)) throw new InvalidOperationException("a key incremented in a transaction cannot be scanned in it (its value is computed at commit)");
        return _writes[key] is { } value ? new SkvEntry(key, value) : null;
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfFinished();
        RedisSkvStorage.ValidateKey(key);
        _increments.Remove(key.ToArray());
        _writes[key.ToArray()] = value.ToArray();
        _version++;
    }

    public void Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfFinished();
        RedisSkvStorage.ValidateKey(key);
        _increments.Remove(key.ToArray());
        _writes[key.ToArray()] = null;
        _version++;
    }

    /// <summary>INCRBY at commit, with no condition: concurrent transactions counting the same key do not conflict.</summary>
    public void Increment(ReadOnlySpan<byte> key, long delta)
    {
        ThrowIfFinished();
        RedisSkvStorage.ValidateKey(key);
        byte[] k = key.ToArray();
        if (_writes.TryGetValue(k, out _)) throw new InvalidOperationException("a key written in a transaction cannot also be incremented in it");
        _increments[k] = _increments.GetValueOrDefault(k) + delta;
        _version++;
    }

    public void Commit()
    {
        var plan = PrepareCommit();
        if (plan is null) return;
        CheckUnchanged(plan.ReadOnly, _storage.GetMany(plan.ReadOnly));
        var written = new List<(byte[], Task<EndPoint?>?)>();
        for (int i = 0; i < plan.Parts.Count; i++)
        {
            var (tx, firstKey) = plan.Parts[i];
            var before = _storage.PrimaryBefore(firstKey);
            bool ok;
            try
            {
                ok = tx.Execute();
            }
            catch (Exception ex) when (Unavailable.IsTransient(ex))
            {
                throw Unreachable(ex, i);
            }
            Executed(ok, i);
            written.Add((firstKey, before));
        }
        _storage.WaitForReplicas(written);
    }

    /// <summary>
    /// <see cref="Commit"/> without blocking a thread. A cancellation is honoured until the first <c>EXEC</c> is sent
    /// (nothing written); then the call waits for every part's outcome.
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var plan = PrepareCommit();
        if (plan is null) return;
        CheckUnchanged(plan.ReadOnly, await _storage.GetManyAsync(plan.ReadOnly, cancellationToken).ConfigureAwait(false));
        cancellationToken.ThrowIfCancellationRequested();
        var written = new List<(byte[], Task<EndPoint?>?)>();
        for (int i = 0; i < plan.Parts.Count; i++)
        {
            var (tx, firstKey) = plan.Parts[i];
            var before = _storage.PrimaryBefore(firstKey);
            bool ok;
            try
            {
                ok = await tx.ExecuteAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (Unavailable.IsTransient(ex))
            {
                throw Unreachable(ex, i);
            }
            Executed(ok, i);
            written.Add((firstKey, before));
        }
        // once written, the wait for the replicas is not cancelled either (bounded by WaitReplicasTimeout)
        await _storage.WaitForReplicasAsync(written).ConfigureAwait(false);
    }

    /// <summary>
    /// The commit's parts: keys read in slots it does not write (checked first), and one MULTI/EXEC per written group
    /// with the data key of its first write (where <c>WaitForReplicas</c> finds the group's primary).
    /// </summary>
    private sealed record CommitPlan(List<byte[]> ReadOnly, List<(ITransaction Tx, byte[] FirstKey)> Parts);

    private CommitPlan? PrepareCommit()
    {
        ThrowIfFinished();
        _finished = true;
        if (_writes.Count == 0 && _increments.Count == 0) return null;
        var groups = new SortedDictionary<byte[], (List<byte[]> Reads, List<byte[]> Writes)>(ByteComparer.Instance);
        (List<byte[]> Reads, List<byte[]> Writes) Group(byte[] key)
        {
            // a single server takes everything in one MULTI/EXEC; a cluster one per tag (slot)
            byte[] tag = _storage.IsCluster ? key[..RedisKeys.TagLength(key)] : [];
            if (!groups.TryGetValue(tag, out var g)) groups[tag] = g = ([], []);
            return g;
        }
        foreach (var key in _reads.Keys) Group(key).Reads.Add(key);
        foreach (var key in _writes.Keys) Group(key).Writes.Add(key);
        foreach (var key in _increments.Keys) Group(key).Writes.Add(key);

        // Keys read in slots the transaction does not write are checked before the first write (in a cluster no
        // MULTI/EXEC spans slots, so this check is not atomic with the writes; within a written slot it is).
        // Parts guarded by a WATCH go first, unguarded ones (only writes and INCRBYs, such as a typed collection's
        // counter in {$skv}) last: an unguarded part cannot fail, so a conflict is then found before anything is
        // written whenever at most one part is guarded (every typed write), and the write runs again.
        var readOnly = new List<byte[]>();
        var parts = new List<(ITransaction, byte[])>();
        foreach (var (_, (reads, writes)) in groups.OrderBy(g => g.Value.Reads.Count == 0))
        {
            if (writes.Count == 0)
            {
                readOnly.AddRange(reads);
                continue;
            }
            var tx = _storage.Database.CreateTransaction();
            // every tag written gets its version bumped in the same MULTI/EXEC (what a consistent backup checks)
            var tags = new HashSet<byte[]>(ByteComparer.Instance);
            foreach (var key in writes)
            {
                if (tags.Add(key[..RedisKeys.TagLength(key)])) _ = tx.StringIncrementAsync(RedisKeys.VersionKeyOf(key));
            }
            foreach (var key in reads)
            {
                byte[] dataKey = RedisKeys.DataKey(key);
                tx.AddCondition(_reads[key] is { } seen ? Condition.StringEqual(dataKey, seen) : Condition.KeyNotExists(dataKey));
            }
            foreach (var key in writes)
            {
                byte[] dataKey = RedisKeys.DataKey(key);
                byte[] indexKey = RedisKeys.IndexKeyOf(key);
                if (_increments.TryGetValue(key, out long delta))
                {
                    _ = tx.StringIncrementAsync(dataKey, delta);
                    _ = tx.SortedSetAddAsync(indexKey, key, 0);
                }
                else if (_writes[key] is { } value)
                {
                    _ = tx.StringSetAsync(dataKey, value);
                    _ = tx.SortedSetAddAsync(indexKey, key, 0);
                }
                else
                {
                    _ = tx.KeyDeleteAsync(dataKey);
                    _ = tx.SortedSetRemoveAsync(indexKey, key);
                }
            }
            parts.Add((tx, RedisKeys.DataKey(writes[0])));
        }
        return new CommitPlan(readOnly, parts);
    }

    private void CheckUnchanged(List<byte[]> keys, byte[]?[] now)
    {
        for (int i = 0; i < keys.Count; i++)
        {
            byte[]? seen = _reads[keys[i]];
            if (!(now[i] is null ? seen is null : seen is not null && now[i].AsSpan().SequenceEqual(seen)))
                throw new SkvTransactionConflictException("a key read by the transaction was changed by another writer; nothing was written");
        }
    }

    /// <summary>The outcome of the part <paramref name="committed"/> (0-based): a failed WATCH is a conflict.</summary>
    private static void Executed(bool ok, int committed)
    {
        if (ok) return;
        if (committed == 0) throw new SkvTransactionConflictException("a key read by the transaction was changed by another writer; nothing was written");
        throw new SkvException($"a key read by the transaction was changed by another writer after {committed} of its collections (cluster slots) had committed; the rest was not written");
    }

    /// <summary>A lost or slow server while the part <paramref name="committed"/> (0-based) was sent: says what had committed.</summary>
    private static SkvUnavailableException Unreachable(Exception ex, int committed) => committed == 0
        ? Unavailable.Wrap(ex)
        : new SkvUnavailableException($"{Unavailable.Wrap(ex).Message}; {committed} of the transaction's collections (cluster slots) had committed before", ex);

    public void Rollback() => _finished = true;

    public void Dispose() => _finished = true;

    private void ThrowIfFinished()
    {
        if (_finished) throw new InvalidOperationException("the transaction has been committed or rolled back");
    }
}

/// <summary>A live (not point-in-time) view: reads go to the server as they are made.</summary>
internal sealed class RedisReadView(RedisSkvStorage storage) : ISkvReadView
{
    public bool IsPointInTime => false;

    public long Count => storage.Count();

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value) => storage.TryGet(key, out value);

    public bool ContainsKey(ReadOnlySpan<byte> key) => storage.ContainsKey(key);

    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => storage.GetMany(keys);

    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => storage.GetAsync(key, cancellationToken);

    public ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default) => storage.GetManyAsync(keys, cancellationToken);

    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix) => storage.ScanPrefix(prefix);

    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive) => storage.ScanRange(fromInclusive, toExclusive);

    public void Dispose()
    {
    }
}

/// <summary>
/// Restore target: records are grouped by tag into MULTI/EXEC chunks (SET of each value + one ZADD of their keys),
/// so a value never exists without its ordering-index entry; chunks are pipelined with a bounded number in flight.
/// Not atomic as a whole: a failure leaves the chunks already executed, and a repeat of the restore overwrites them
/// with the same values (idempotent).
/// </summary>
internal sealed class RedisRecordSink(RedisSkvStorage storage) : ISkvRecordSink
{
    private const int ChunkRecords = 256;
    private const int ChunkBytes = 1 << 20;
    private const int MaxInFlight = 32;
    private readonly Dictionary<byte[], (List<KeyValuePair<RedisKey, RedisValue>> Values, List<SortedSetEntry> Members, int Bytes)> _chunks = new(ByteComparer.Instance);
    private readonly Queue<Task<bool>> _inFlight = new();
    private bool _finished;

    public void Clear()
    {
        ThrowIfFinished();
        storage.Clear();
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfFinished();
        RedisSkvStorage.ValidateKey(key);
        byte[] tag = key[..RedisKeys.TagLength(key)].ToArray();
        if (!_chunks.TryGetValue(tag, out var chunk)) chunk = ([], [], 0);
        byte[] k = key.ToArray();
        chunk.Values.Add(new(RedisKeys.DataKey(key), value.ToArray()));
        chunk.Members.Add(new SortedSetEntry(k, 0));
        chunk.Bytes += key.Length + value.Length;
        _chunks[tag] = chunk;
        if (chunk.Values.Count >= ChunkRecords || chunk.Bytes >= ChunkBytes) Send(tag);
    }

    private void Send(byte[] tag)
    {
        var chunk = _chunks[tag];
        _chunks.Remove(tag);
        var tx = storage.Database.CreateTransaction();
        foreach (var (k, v) in chunk.Values) _ = tx.StringSetAsync(k, v);
        _ = tx.SortedSetAddAsync(RedisKeys.IndexKey(tag), chunk.Members.ToArray());
        _ = tx.StringIncrementAsync(RedisKeys.VersionKey(tag));
        // with WaitReplicas: where each tag's chunks went (pipelined ahead of them), checked against where its slot is at the end
        if (!_written.ContainsKey(tag)) _written[tag] = ((byte[])chunk.Values[0].Key!, storage.PrimaryBefore((byte[])chunk.Values[0].Key!));
        _inFlight.Enqueue(tx.ExecuteAsync());
        _sent += chunk.Values.Count;
        while (_inFlight.Count > MaxInFlight) Wait(_inFlight.Dequeue());
    }

    private long _sent;
    private readonly Dictionary<byte[], (byte[] Key, Task<EndPoint?>? Before)> _written = new(ByteComparer.Instance);

    private void Wait(Task<bool> task)
    {
        try
        {
            task.GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            _finished = true;
            throw Stopped(ex);
        }
    }

    private SkvException Stopped(Exception ex)
    {
        string message = $"the restore into Redis stopped ({ex.GetType().Name}: {Unavailable.Short(ex.Message)}); up to {_sent} records were sent and the ones written stay - run the same restore again to complete it";
        return Unavailable.IsTransient(ex) ? new SkvUnavailableException(message, ex) : new SkvException(message, ex);
    }

    public void Commit()
    {
        ThrowIfFinished();
        foreach (var tag in _chunks.Keys.ToList()) Send(tag);
        while (_inFlight.TryDequeue(out var task)) Wait(task);
        _finished = true;
        // with WaitReplicas: the restore is complete when the replicas have it too (one WAIT per primary written)
        try
        {
            storage.WaitForReplicas(_written.Values);
        }
        catch (SkvUnavailableException ex)
        {
            throw Stopped(ex.InnerException ?? ex);
        }
        catch (SkvReplicationException ex)
        {
            throw new SkvReplicationException($"the restore wrote every record to the primaries, but they are not confirmed on the replicas ({ex.Message}); run the same restore again to complete it",
                ex.RequiredReplicas, ex.ConfirmedReplicas);
        }
    }

    public void Dispose()
    {
        _finished = true;
        // let pipelined chunks finish or fail on their own; observe their exceptions
        foreach (var task in _inFlight) _ = task.ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
        _inFlight.Clear();
    }

    private void ThrowIfFinished()
    {
        if (_finished) throw new InvalidOperationException("the restore has finished");
    }
}
