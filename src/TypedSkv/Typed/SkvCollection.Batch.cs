using System.Runtime.CompilerServices;

namespace TypedSkv;

// Batches (GetMany/PutMany/DeleteMany) and the asynchronous API (docs/typed-access.md, "Batches and async").
//
// A batched or asynchronous write runs the same per-record logic as Put/Delete (WriteCore/DeleteCore) in one storage
// transaction. Over a server backend it first reads, in one batch, every key that logic will read (the records, then
// the index entries of the records that exist): the transaction keeps what it read, so the logic itself then runs
// without a round trip, and the commit is one MULTI/EXEC per slot. Over the embedded store the reads are local and the
// prefetch is skipped. The synchronous forms run the asynchronous code with useAsync: false, which completes
// synchronously (the System.Net pattern), so the two cannot drift apart.
public abstract partial class SkvCollection<T, TKey>
{
    // ---- batched reads ----

    /// <summary>
    /// The records with these keys, in the order of <paramref name="keys"/> (null for a missing one). Over Redis one
    /// round trip (pipelined <c>MGET</c>s: a collection is one slot); over the embedded store a lookup per key.
    /// </summary>
    public T?[] GetMany(IEnumerable<TKey> keys)
    {
        var encoded = EncodeKeys(keys);
        byte[]?[] values;
        if (_embedded is { } store)
        {
            values = new byte[]?[encoded.Count];
            for (int i = 0; i < values.Length; i++) values[i] = store.TryGet(encoded[i], out var json) ? json : null;
        }
        else values = Storage.GetMany(encoded);
        return DecodeMany(encoded, values);
    }

    /// <summary><see cref="GetMany(IEnumerable{TKey})"/> without blocking a thread on a server backend (completes synchronously on the embedded store).</summary>
    public async Task<T?[]> GetManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_embedded is not null) return GetMany(keys);
        var encoded = EncodeKeys(keys);
        return DecodeMany(encoded, await Storage.GetManyAsync(encoded, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// <see cref="Get(TKey)"/> without blocking a thread on a server backend (one <c>GET</c>); on the embedded store it
    /// completes synchronously (an in-memory index lookup and a read of the file's cached pages).
    /// </summary>
    public async ValueTask<T?> GetAsync(TKey key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_embedded is not null) return Get(key);
        byte[] encoded = EncodeKey(key);
        var json = await Storage.GetAsync(encoded, cancellationToken).ConfigureAwait(false);
        return json is null ? null : Decode(encoded, json);
    }

    /// <summary><see cref="SkvCollection.Count"/> without blocking a thread on a server backend (one <c>GET</c> of the counter).</summary>
    public async ValueTask<long> CountAsync(CancellationToken cancellationToken = default)
    {
        var text = await Storage.GetAsync(CountKey, cancellationToken).ConfigureAwait(false);
        if (text is not null && Typed.SkvSchema.TryParseCount(text, out long n)) return n;
        long scanned = 0;
        await foreach (var _ in Storage.ScanPrefixAsync(_prefix, cancellationToken).ConfigureAwait(false)) scanned++;
        return scanned;
    }

    // ---- batched writes ----

    /// <summary>
    /// Inserts or replaces every record in one transaction (a later record with the same key wins). The embedded store
    /// and a single Redis server or Garnet: all or nothing (one transaction; one <c>MULTI/EXEC</c>). Redis Cluster: one
    /// <c>MULTI/EXEC</c> for the collection's slot (all the records and their index entries: all or nothing) and one for
    /// the record counter's slot right after it (as for <see cref="Put(T)"/>). The whole batch is one transaction: split
    /// a very large one (hundreds of thousands of records) into batches of a few thousand.
    /// </summary>
    public void PutMany(IEnumerable<T> values) => PutManyCore(values, useAsync: false, default).GetAwaiter().GetResult();

    /// <summary><see cref="PutMany(IEnumerable{T})"/> without blocking a thread (cancellation: see <see cref="PutAsync"/>).</summary>
    public Task PutManyAsync(IEnumerable<T> values, CancellationToken cancellationToken = default) =>
        PutManyCore(values, useAsync: true, cancellationToken).AsTask();

    /// <summary>Removes the records with these keys (and their index entries) in one transaction, as <see cref="PutMany(IEnumerable{T})"/>; returns how many existed.</summary>
    public int DeleteMany(IEnumerable<TKey> keys) => DeleteManyCore(keys, useAsync: false, default).GetAwaiter().GetResult();

    /// <summary><see cref="DeleteMany(IEnumerable{TKey})"/> without blocking a thread.</summary>
    public Task<int> DeleteManyAsync(IEnumerable<TKey> keys, CancellationToken cancellationToken = default) =>
        DeleteManyCore(keys, useAsync: true, cancellationToken).AsTask();

    // ---- batches inside a caller's transaction (committed or rolled back by the caller) ----

    /// <summary><see cref="GetMany(IEnumerable{TKey})"/> as <paramref name="transaction"/> sees the records (its own writes included).</summary>
    public T?[] GetMany(ISkvWriteTransaction transaction, IEnumerable<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var encoded = EncodeKeys(keys);
        return DecodeMany(encoded, transaction.GetMany(encoded));
    }

    /// <summary><see cref="GetMany(ISkvWriteTransaction, IEnumerable{TKey})"/> without blocking a thread on a server backend.</summary>
    public async Task<T?[]> GetManyAsync(ISkvWriteTransaction transaction, IEnumerable<TKey> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var encoded = EncodeKeys(keys);
        return DecodeMany(encoded, await transaction.GetManyAsync(encoded, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// <see cref="Put(ISkvWriteTransaction, T)"/> of every record, with the reads batched as in <see cref="PutMany(IEnumerable{T})"/>.
    /// A unique violation throws at that record: the ones before it stay in the transaction (as with a loop of Put).
    /// </summary>
    public void PutMany(ISkvWriteTransaction transaction, IEnumerable<T> values) =>
        PutManyCore(transaction, values, useAsync: false, default).GetAwaiter().GetResult();

    /// <summary><see cref="PutMany(ISkvWriteTransaction, IEnumerable{T})"/> without blocking a thread on a server backend.</summary>
    public Task PutManyAsync(ISkvWriteTransaction transaction, IEnumerable<T> values, CancellationToken cancellationToken = default) =>
        PutManyCore(transaction, values, useAsync: true, cancellationToken).AsTask();

    private async ValueTask PutManyCore(ISkvWriteTransaction transaction, IEnumerable<T> values, bool useAsync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        var keys = KeysOf(list);
        ForgetUnknownIndexes(transaction);
        await PrefetchAsync(transaction, keys, list, useAsync, cancellationToken).ConfigureAwait(false);
        foreach (var value in list) WriteCore(transaction, value, Mode.Upsert, throwOnConflict: true);
    }

    // ---- asynchronous single writes ----

    /// <summary>
    /// <see cref="Put(T)"/> without blocking a thread: on Redis the reads and the <c>MULTI/EXEC</c> are asynchronous; on
    /// the embedded store the wait for the write lock and, with <see cref="SkvDurability.Fsync"/>, for the durable sync
    /// are. A cancellation is honoured until the commit is sent: a cancelled call wrote nothing.
    /// </summary>
    public async Task PutAsync(T value, CancellationToken cancellationToken = default) =>
        await WriteAsync([value], Mode.Upsert, throwOnConflict: true, useAsync: true, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="Insert(T)"/> without blocking a thread.</summary>
    public async Task InsertAsync(T value, CancellationToken cancellationToken = default) =>
        await WriteAsync([value], Mode.Insert, throwOnConflict: true, useAsync: true, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="TryInsert(T)"/> without blocking a thread.</summary>
    public async Task<bool> TryInsertAsync(T value, CancellationToken cancellationToken = default) =>
        await WriteAsync([value], Mode.Insert, throwOnConflict: false, useAsync: true, cancellationToken).ConfigureAwait(false) == 1;

    /// <summary><see cref="Update(T)"/> without blocking a thread.</summary>
    public async Task UpdateAsync(T value, CancellationToken cancellationToken = default) =>
        await WriteAsync([value], Mode.Update, throwOnConflict: true, useAsync: true, cancellationToken).ConfigureAwait(false);

    /// <summary><see cref="TryUpdate(T)"/> without blocking a thread.</summary>
    public async Task<bool> TryUpdateAsync(T value, CancellationToken cancellationToken = default) =>
        await WriteAsync([value], Mode.Update, throwOnConflict: false, useAsync: true, cancellationToken).ConfigureAwait(false) == 1;

    /// <summary><see cref="Delete(TKey)"/> without blocking a thread; returns whether the record existed.</summary>
    public async Task<bool> DeleteAsync(TKey key, CancellationToken cancellationToken = default) =>
        await DeleteManyCore([key], useAsync: true, cancellationToken).ConfigureAwait(false) == 1;

    // ---- asynchronous scans ----

    /// <summary><see cref="All()"/> page by page without blocking a thread on a server backend.</summary>
    public async IAsyncEnumerable<T> AllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in Storage.ScanPrefixAsync(_prefix, cancellationToken).ConfigureAwait(false))
            yield return Decode(entry.Key.Span, entry.GetValue());
    }

    /// <summary><see cref="Range"/> page by page without blocking a thread on a server backend.</summary>
    public async IAsyncEnumerable<T> RangeAsync(TKey fromInclusive, TKey toExclusive, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var entry in Storage.ScanRangeAsync(EncodeKey(fromInclusive), EncodeKey(toExclusive), cancellationToken).ConfigureAwait(false))
            yield return Decode(entry.Key.Span, entry.GetValue());
    }

    // ---- the shared core ----

    private List<byte[]> EncodeKeys(IEnumerable<TKey> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var encoded = new List<byte[]>();
        foreach (var key in keys) encoded.Add(EncodeKey(key));
        return encoded;
    }

    private List<byte[]> KeysOf(List<T> values)
    {
        var keys = new List<byte[]>(values.Count);
        foreach (var value in values)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(values));
            keys.Add(EncodeKey(KeyOf(value)));
        }
        return keys;
    }

    private T?[] DecodeMany(List<byte[]> keys, byte[]?[] values)
    {
        var records = new T?[keys.Count];
        for (int i = 0; i < records.Length; i++) records[i] = values[i] is { } json ? Decode(keys[i], json) : null;
        return records;
    }

    private async ValueTask PutManyCore(IEnumerable<T> values, bool useAsync, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(values);
        var list = values.ToList();
        if (list.Count == 0) return;
        await WriteAsync(list, Mode.Upsert, throwOnConflict: true, useAsync, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="values"/> in one transaction; returns how many were written.</summary>
    private ValueTask<int> WriteAsync(List<T> values, Mode mode, bool throwOnConflict, bool useAsync, CancellationToken cancellationToken)
    {
        var keys = KeysOf(values);
        ForgetUnknownIndexes(null);
        return RunAsync(keys, values, transaction =>
        {
            int written = 0;
            foreach (var value in values)
            {
                if (WriteCore(transaction, value, mode, throwOnConflict)) written++;
            }
            return (written, written > 0);
        }, useAsync, cancellationToken);
    }

    private ValueTask<int> DeleteManyCore(IEnumerable<TKey> keys, bool useAsync, CancellationToken cancellationToken)
    {
        var encoded = EncodeKeys(keys);
        if (encoded.Count == 0) return ValueTask.FromResult(0);
        ForgetUnknownIndexes(null);
        return RunAsync(encoded, null, transaction =>
        {
            int deleted = 0;
            foreach (var key in encoded)
            {
                if (DeleteCore(transaction, key)) deleted++;
            }
            return (deleted, deleted > 0);
        }, useAsync, cancellationToken);
    }

    /// <summary>
    /// <see cref="InTransaction"/> with the reads prefetched (see the top of this file); conflicts run it again. With
    /// <paramref name="useAsync"/> false every step is synchronous and the task is complete when it returns.
    /// </summary>
    private async ValueTask<TResult> RunAsync<TResult>(List<byte[]> recordKeys, List<T>? values,
        Func<ISkvWriteTransaction, (TResult Result, bool Commit)> body, bool useAsync, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var transaction = useAsync ? await Storage.BeginWriteAsync(cancellationToken).ConfigureAwait(false) : Storage.BeginWrite();
            await PrefetchAsync(transaction, recordKeys, values, useAsync, cancellationToken).ConfigureAwait(false);
            var (result, commit) = body(transaction);
            if (!commit) return result;
            try
            {
                if (useAsync) await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                else transaction.Commit();
                return result;
            }
            catch (SkvTransactionConflictException) when (attempt < ConflictRetries)
            {
                int backOff = Random.Shared.Next(0, 1 + Math.Min(attempt, 10));
                if (useAsync) await Task.Delay(backOff, cancellationToken).ConfigureAwait(false);
                else Thread.Sleep(backOff);
            }
        }
    }

    /// <summary>
    /// Reads into <paramref name="transaction"/>, in at most two batches, what the write logic will read: the records
    /// and the new records' index entries, then the entries of the records that exist. Not over the embedded store.
    /// </summary>
    private async ValueTask PrefetchAsync(ISkvWriteTransaction transaction, List<byte[]> recordKeys, List<T>? values, bool useAsync, CancellationToken cancellationToken)
    {
        if (_embedded is not null) return;
        var reads = new List<byte[]>(recordKeys);
        if (values is not null && HasIndexes)
        {
            var entries = new List<Typed.SkvIndexEntry>();
            for (int i = 0; i < values.Count; i++) AddIndexEntries(values[i], recordKeys[i].AsSpan(_prefix.Length), entries);
            foreach (var entry in entries) reads.Add(entry.Key);
        }
        var found = useAsync ? await transaction.GetManyAsync(reads, cancellationToken).ConfigureAwait(false) : transaction.GetMany(reads);
        if (!HasIndexes) return;
        var oldEntries = new List<byte[]>();
        for (int i = 0; i < recordKeys.Count; i++)
        {
            if (found[i] is { } oldJson) oldEntries.AddRange(OldEntryKeys(transaction, recordKeys[i], oldJson));
        }
        if (oldEntries.Count == 0) return;
        if (useAsync) await transaction.GetManyAsync(oldEntries, cancellationToken).ConfigureAwait(false);
        else transaction.GetMany(oldEntries);
    }
}
