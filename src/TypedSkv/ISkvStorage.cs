using System.Diagnostics.CodeAnalysis;

namespace TypedSkv;

/// <summary>
/// Reads of an ordered byte key-value space: the part shared by a store (<see cref="ISkvStorage"/>), a
/// point-in-time view (<see cref="ISkvReadView"/>) and a write transaction (<see cref="ISkvWriteTransaction"/>).
/// Keys compare as unsigned bytes.
/// </summary>
public interface ISkvReader
{
    bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value);

    bool ContainsKey(ReadOnlySpan<byte> key);

    /// <summary>
    /// The values of <paramref name="keys"/>, in their order (null for a missing key). The default reads them one by
    /// one; a server backend batches them (Redis: pipelined <c>MGET</c>s, one per slot: one round trip).
    /// </summary>
    byte[]?[] GetMany(IReadOnlyList<byte[]> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var values = new byte[]?[keys.Count];
        for (int i = 0; i < values.Length; i++) values[i] = TryGet(keys[i], out var value) ? value : null;
        return values;
    }

    /// <summary>
    /// <see cref="TryGet"/> without blocking a thread on a server backend (null for a missing key). The default, and
    /// the embedded store, complete synchronously (a read there never waits for I/O it could release a thread for).
    /// </summary>
    ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(TryGet(key.Span, out var value) ? value : null);
    }

    /// <summary><see cref="GetMany"/> without blocking a thread on a server backend (the default completes synchronously).</summary>
    ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(GetMany(keys));
    }
}

/// <summary>
/// The storage seam under the typed accessors (<see cref="SkvCollection{T, TKey}"/>, generated databases) and the
/// backup functions. <see cref="SkvStore"/> is the embedded implementation; <c>TypedSkv.Redis</c> provides one over
/// Redis / Redis Cluster / Garnet. Single-key operations are atomic on every implementation; what else is atomic is
/// the implementation's to document (docs/redis.md for Redis).
/// </summary>
public interface ISkvStorage : ISkvReader, IDisposable
{
    /// <summary>Inserts or overwrites.</summary>
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Writes only if the key is absent; returns whether it wrote.</summary>
    bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Writes only if the key exists; returns whether it wrote.</summary>
    bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Removes a key; returns whether it existed.</summary>
    bool Delete(ReadOnlySpan<byte> key);

    /// <summary>Keys starting with <paramref name="prefix"/> (empty: every key), in unsigned byte order.</summary>
    IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix);

    /// <summary>Keys in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>) in order; null is unbounded.</summary>
    IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive);

    // ---- asynchronous forms: truly asynchronous on a server backend; the defaults complete synchronously on the
    // calling thread, as the embedded store's reads and appends do (its waits, for the write lock and the durable
    // sync, are asynchronous: BeginWriteAsync, ISkvWriteTransaction.CommitAsync) ----

    /// <summary>
    /// <see cref="Put"/> without blocking a thread. A cancellation is honoured before the write is sent; once it is
    /// sent the call waits for its outcome (bounded by the backend's timeout), so a cancelled call wrote nothing.
    /// </summary>
    ValueTask PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Put(key.Span, value.Span);
        return ValueTask.CompletedTask;
    }

    /// <summary><see cref="Delete"/> without blocking a thread (cancellation as for <see cref="PutAsync"/>).</summary>
    ValueTask<bool> DeleteAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Delete(key.Span));
    }

    /// <summary><see cref="ScanPrefix"/> page by page without blocking a thread on a server backend.</summary>
    IAsyncEnumerable<SkvEntry> ScanPrefixAsync(ReadOnlyMemory<byte> prefix, CancellationToken cancellationToken = default) =>
        SkvAsyncScan.FromSync(ScanPrefix(prefix.Span), cancellationToken);

    /// <summary><see cref="ScanRange"/> page by page without blocking a thread on a server backend.</summary>
    IAsyncEnumerable<SkvEntry> ScanRangeAsync(byte[]? fromInclusive, byte[]? toExclusive, CancellationToken cancellationToken = default) =>
        SkvAsyncScan.FromSync(ScanRange(fromInclusive, toExclusive), cancellationToken);

    /// <summary>
    /// <see cref="BeginWrite"/>, waiting without blocking a thread where the backend can wait (the embedded store's
    /// write lock: <see cref="SkvStore.BeginTransactionAsync"/>).
    /// </summary>
    ValueTask<ISkvWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(BeginWrite());
    }

    /// <summary>
    /// An atomic read-modify-write transaction with read-your-writes: nothing is visible before
    /// <see cref="ISkvWriteTransaction.Commit"/>; Dispose without Commit rolls back.
    /// An optimistic implementation throws <see cref="SkvTransactionConflictException"/> from Commit when a key it
    /// read changed meanwhile (nothing was written; run the transaction again).
    /// </summary>
    ISkvWriteTransaction BeginWrite();

    /// <summary>
    /// A view for index lookups and backups. The embedded store gives a point-in-time snapshot; a server backend
    /// may give a live view (<see cref="ISkvReadView.IsPointInTime"/> says which).
    /// </summary>
    ISkvReadView OpenReadView();

    /// <summary>
    /// The view a backup reads the storage through, once, in key order: <see cref="OpenReadView"/> unless the
    /// implementation offers a more consistent one for that (Redis: each collection read at one version of it, see
    /// docs/redis.md). Its <see cref="ISkvReadView.Count"/> and scans of one range agree with each other.
    /// </summary>
    ISkvReadView OpenBackupView() => OpenReadView();

    /// <summary>
    /// A writer for restores: puts stream to the storage (all-or-nothing at <see cref="ISkvRecordSink.Commit"/> on
    /// the embedded store; pipelined and not atomic on a server backend).
    /// </summary>
    ISkvRecordSink BeginRestore();
}

/// <summary>A read view of a storage (see <see cref="ISkvStorage.OpenReadView"/>).</summary>
public interface ISkvReadView : ISkvReader, IDisposable
{
    /// <summary>Whether later writes are invisible to the view (the embedded snapshot) or not (a live server view).</summary>
    bool IsPointInTime { get; }

    /// <summary>Number of keys in the view.</summary>
    long Count { get; }

    IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix);

    IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive);
}

/// <summary>A write transaction over a storage (see <see cref="ISkvStorage.BeginWrite"/>). Reads see its own writes.</summary>
public interface ISkvWriteTransaction : ISkvReader, IDisposable
{
    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    void Delete(ReadOnlySpan<byte> key);

    /// <summary>
    /// Keys in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>) in order, as the transaction sees them
    /// (its own puts and deletes included); null is unbounded. A write, commit or rollback while the scan is enumerated
    /// makes its next step throw <see cref="InvalidOperationException"/>: read first, then write.
    /// </summary>
    IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive);

    /// <summary>Makes every write visible at once (see <see cref="ISkvStorage.BeginWrite"/> for conflicts).</summary>
    void Commit();

    /// <summary>Drops every write (also what Dispose without Commit does).</summary>
    void Rollback();

    /// <summary>
    /// <see cref="Commit"/> without blocking a thread (the embedded store: the durable sync of <see cref="SkvDurability.Fsync"/>;
    /// a server: the <c>EXEC</c> round trips). A cancellation is honoured before anything is written: a cancelled commit
    /// wrote nothing (dispose the transaction, which rolls it back); once sent, the call waits for the outcome.
    /// </summary>
    Task CommitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Commit();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Adds <paramref name="delta"/> to the counter stored under <paramref name="key"/> (decimal text; a missing key
    /// counts as 0). The default reads and writes the key in the transaction; a server backend overrides it with an
    /// atomic increment that does not make concurrent transactions conflict (its result is not readable before commit).
    /// </summary>
    void Increment(ReadOnlySpan<byte> key, long delta)
    {
        long value = 0;
        if (TryGet(key, out var text) && !long.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out value))
        {
            throw new SkvException($"counter {KeyFormatter.Describe(key)} holds {KeyFormatter.Describe(text)}, not a number");
        }
        Span<byte> buffer = stackalloc byte[20];
        (value + delta).TryFormat(buffer, out int written, default, System.Globalization.CultureInfo.InvariantCulture);
        Put(key, buffer[..written]);
    }
}

/// <summary>The target of a restore (see <see cref="ISkvStorage.BeginRestore"/>). Dispose without Commit abandons it.</summary>
public interface ISkvRecordSink : IDisposable
{
    /// <summary>Removes every key first (restore mode Replace).</summary>
    void Clear();

    void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value);

    /// <summary>Finishes the restore: commits (embedded) or waits for every pipelined write (server).</summary>
    void Commit();
}

/// <summary>Asynchronous scans over a synchronous one (the default of <see cref="ISkvStorage.ScanPrefixAsync"/>).</summary>
internal static class SkvAsyncScan
{
    public static async IAsyncEnumerable<SkvEntry> FromSync(IEnumerable<SkvEntry> entries, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        foreach (var entry in entries)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return entry;
        }
    }
}

/// <summary>Operations every <see cref="ISkvStorage"/> has through its interface members.</summary>
public static class SkvStorageExtensions
{
    /// <summary>
    /// Applies a batch in one write transaction: all or nothing on the embedded store (<see cref="SkvStore.Write"/>)
    /// and on a single Redis server / Garnet (one MULTI/EXEC); per collection (slot) on Redis Cluster (docs/redis.md).
    /// </summary>
    public static void Write(this ISkvStorage storage, SkvWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(batch);
        if (storage is SkvStore store)
        {
            store.Write(batch);
            return;
        }
        if (batch.IsEmpty) return;
        using var tx = storage.BeginWrite();
        batch.ApplyTo(tx);
        tx.Commit();
    }
}

/// <summary>An optimistic transaction found a key it read changed by another writer; nothing was written.</summary>
public sealed class SkvTransactionConflictException : SkvException
{
    public SkvTransactionConflictException(string message) : base(message) { }

    public override bool IsRetryable => true;
}


internal static class WholeStoreViews
{
    /// <summary>
    /// The view for one pass over the whole store (backup, verify, restore): on the embedded store a snapshot that
    /// lets go of the pages it read as it goes, so the pass's memory does not grow with the store.
    /// </summary>
    public static ISkvReadView OpenWholeStoreView(this ISkvStorage storage) =>
        storage is SkvStore store ? store.GetWholeStoreSnapshot() : storage.OpenReadView();

    /// <summary>
    /// The view a backup reads: that snapshot on the embedded store, <see cref="ISkvStorage.OpenBackupView"/>
    /// otherwise (Redis: each collection at one version of it).
    /// </summary>
    public static ISkvReadView OpenBackupSource(this ISkvStorage storage) =>
        storage is SkvStore store ? store.GetWholeStoreSnapshot() : storage.OpenBackupView();
}
