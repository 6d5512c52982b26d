using TypedSkv.Typed;

namespace TypedSkv;

/// <summary>
/// A secondary index of a collection, on one property (<c>[SkvIndex]</c>): lookups by value, ranges in value order with
/// paging, the same inside a write transaction (its own writes included), and asynchronous lookups. Generated
/// collections expose one per index as <c>By{Property}</c>: <c>db.Users.ByCity.Find("Oslo")</c>.
/// </summary>
/// <remarks>
/// One runtime type instead of generated methods per index: the generated code is one property per index (build cost,
/// docs/typed-access.md). Every lookup throws <see cref="SkvIndexNotBuiltException"/> while the index is not built,
/// never answers from a partial index. A lookup without a transaction reads from one snapshot of the embedded store,
/// so an entry and the record it points to agree.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
/// <typeparam name="TValue">The indexed property's type.</typeparam>
public class SkvIndex<T, TValue> where T : class
{
    private protected readonly ISkvIndexHost<T> Host;
    private protected readonly int Ordinal;

    internal SkvIndex(ISkvIndexHost<T> host, int ordinal)
    {
        Host = host;
        Ordinal = ordinal;
    }

    /// <summary>The records whose property is <paramref name="value"/>, in key order.</summary>
    public List<T> Find(TValue value) => Host.Find(null, Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary>As <see cref="Find(TValue)"/>, as <paramref name="transaction"/> sees the index (its own writes included).</summary>
    public List<T> Find(ISkvWriteTransaction transaction, TValue value) =>
        Host.Find(NotNull(transaction), Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary>Whether a record has <paramref name="value"/>; reads index entries only, no record.</summary>
    public bool Exists(TValue value) => Host.Exists(null, Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary>As <see cref="Exists(TValue)"/>, as <paramref name="transaction"/> sees the index.</summary>
    public bool Exists(ISkvWriteTransaction transaction, TValue value) =>
        Host.Exists(NotNull(transaction), Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary>
    /// The records with <paramref name="fromInclusive"/> &lt;= value &lt; <paramref name="toExclusive"/>, ordered by the value
    /// (then by key): at most <paramref name="limit"/>, starting after <paramref name="after"/> (the previous page's
    /// <see cref="SkvPage{T}.Next"/>).
    /// </summary>
    public SkvPage<T> Range(TValue fromInclusive, TValue toExclusive, int limit = int.MaxValue, SkvIndexCursor? after = null) =>
        Host.Range(null, Ordinal, Host.IndexKeyOf(Ordinal, fromInclusive), Host.IndexKeyOf(Ordinal, toExclusive), limit, after);

    /// <summary>As <see cref="Range(TValue, TValue, int, SkvIndexCursor?)"/>, as <paramref name="transaction"/> sees the index.</summary>
    public SkvPage<T> Range(ISkvWriteTransaction transaction, TValue fromInclusive, TValue toExclusive, int limit = int.MaxValue, SkvIndexCursor? after = null) =>
        Host.Range(NotNull(transaction), Ordinal, Host.IndexKeyOf(Ordinal, fromInclusive), Host.IndexKeyOf(Ordinal, toExclusive), limit, after);

    /// <summary>
    /// <see cref="Find(TValue)"/> without blocking a thread on a storage that waits (Redis: one scan of the index entries,
    /// then one batched read of the records). A record whose property changed between the two reads is left out.
    /// </summary>
    public ValueTask<List<T>> FindAsync(TValue value, CancellationToken cancellationToken = default) =>
        Host.FindAsync(Ordinal, Host.IndexKeyOf(Ordinal, value), cancellationToken);

    /// <summary><see cref="Exists(TValue)"/> without blocking a thread on a storage that waits.</summary>
    public ValueTask<bool> ExistsAsync(TValue value, CancellationToken cancellationToken = default) =>
        Host.ExistsAsync(Ordinal, Host.IndexKeyOf(Ordinal, value), cancellationToken);

    /// <summary><see cref="Range(TValue, TValue, int, SkvIndexCursor?)"/> without blocking a thread on a storage that waits.</summary>
    public ValueTask<SkvPage<T>> RangeAsync(TValue fromInclusive, TValue toExclusive, int limit = int.MaxValue, SkvIndexCursor? after = null,
        CancellationToken cancellationToken = default) =>
        Host.RangeAsync(Ordinal, Host.IndexKeyOf(Ordinal, fromInclusive), Host.IndexKeyOf(Ordinal, toExclusive), limit, after, cancellationToken);

    private protected static ISkvWriteTransaction NotNull(ISkvWriteTransaction transaction)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        return transaction;
    }
}

/// <summary>
/// A unique index (<c>[SkvIndex(Unique = true)]</c>): besides what every index offers, <see cref="Get(TValue)"/> returns
/// the one record with a value. Writes that would give two records the same value throw
/// <see cref="SkvUniqueIndexException"/>.
/// </summary>
public sealed class SkvUniqueIndex<T, TValue> : SkvIndex<T, TValue> where T : class
{
    internal SkvUniqueIndex(ISkvIndexHost<T> host, int ordinal) : base(host, ordinal)
    {
    }

    /// <summary>The record whose property is <paramref name="value"/>, or null.</summary>
    public T? Get(TValue value) => Host.GetUnique(null, Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary>As <see cref="Get(TValue)"/>, as <paramref name="transaction"/> sees the index (its own writes included).</summary>
    public T? Get(ISkvWriteTransaction transaction, TValue value) =>
        Host.GetUnique(NotNull(transaction), Ordinal, Host.IndexKeyOf(Ordinal, value));

    /// <summary><see cref="Get(TValue)"/> without blocking a thread on a storage that waits.</summary>
    public async ValueTask<T?> GetAsync(TValue value, CancellationToken cancellationToken = default)
    {
        var found = await FindAsync(value, cancellationToken).ConfigureAwait(false);
        return found.Count == 0 ? null : found[0];
    }
}

/// <summary>What an index accessor reads through: the collection that owns the index (implemented by <see cref="SkvCollection{T, TKey}"/>).</summary>
internal interface ISkvIndexHost<T> where T : class
{
    SkvKeyBuilder IndexKeyOf<TValue>(int index, TValue value);

    T? GetUnique(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexKey);

    List<T> Find(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexPrefix);

    bool Exists(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexKey);

    SkvPage<T> Range(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder from, SkvKeyBuilder toExclusive, int limit, SkvIndexCursor? after);

    ValueTask<List<T>> FindAsync(int index, SkvKeyBuilder indexPrefix, CancellationToken cancellationToken);

    ValueTask<bool> ExistsAsync(int index, SkvKeyBuilder indexKey, CancellationToken cancellationToken);

    ValueTask<SkvPage<T>> RangeAsync(int index, SkvKeyBuilder from, SkvKeyBuilder toExclusive, int limit, SkvIndexCursor? after, CancellationToken cancellationToken);
}
