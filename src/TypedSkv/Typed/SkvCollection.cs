using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using TypedSkv.Typed;

namespace TypedSkv;

/// <summary>
/// Typed access to one collection of a store: records of type <typeparamref name="T"/> stored as UTF-8 JSON
/// under the keys <c>collection/</c> + encoded key. Generated database classes derive one class per record
/// type from it and add index accessors (<c>ByX</c>: <see cref="SkvIndex{T, TValue}"/>) and key-part scans.
/// </summary>
/// <remarks>
/// Secondary index entries live under <c>collection#index/</c> and are written in the same transaction as
/// the record (a write to a collection with indexes reads the old record inside that transaction to remove
/// stale entries). Reads are lock-free like the store's; index lookups read from one snapshot.
/// </remarks>
public abstract partial class SkvCollection<T, TKey> : SkvCollection, ISkvIndexHost<T> where T : class
{
    private readonly byte[] _prefix;
    private readonly byte[] _indexPrefix;

    private readonly SkvStore? _embedded;

    /// <param name="storage">The storage.</param>
    /// <param name="name">Collection name.</param>
    /// <param name="keyEncoding">The key parts' kinds as the schema record stores them ("int32", "string,int64").</param>
    /// <param name="indexes">The indexes in declaration order, as "Member=name:kind" or "Member=name:kind:unique".</param>
    protected SkvCollection(ISkvStorage storage, string name, string keyEncoding, params string[] indexes)
        : base(storage, name, keyEncoding, indexes)
    {
        _embedded = Embedded; // the embedded fast path: direct (non-interface) calls
        _prefix = PrefixBytes;
        _indexPrefix = IndexPrefixBytes;
    }

    // What the generated collection class supplies: the record type's key, its key encoding, its JSON and its index values.
    // Overrides rather than delegates passed to the constructor: they compile faster (no lambdas, closures or cached
    // delegates per record type, measured in docs/typed-access.md) and call without an indirection.

    /// <summary>The key of a record.</summary>
    protected abstract TKey KeyOf(T value);

    /// <summary>
    /// Appends the encoded key parts (after the collection prefix). A single int, long, Guid or string key is encoded
    /// here (one less generated member per record: build cost); composite keys override it.
    /// </summary>
    protected virtual void AppendKey(SkvKeyBuilder builder, TKey key)
    {
        // typeof tests on a type parameter are constants where TKey is a value type: the JIT keeps one branch
        if (typeof(TKey) == typeof(int)) builder.AppendInt32(System.Runtime.CompilerServices.Unsafe.As<TKey, int>(ref key));
        else if (typeof(TKey) == typeof(long)) builder.AppendInt64(System.Runtime.CompilerServices.Unsafe.As<TKey, long>(ref key));
        else if (typeof(TKey) == typeof(Guid)) builder.AppendGuid(System.Runtime.CompilerServices.Unsafe.As<TKey, Guid>(ref key));
        else if (typeof(TKey) == typeof(string)) builder.AppendString((string)(object)key!, last: true);
        else throw new NotSupportedException($"collection {Name}: a key of type {typeof(TKey)} needs an AppendKey override");
    }

    /// <summary>Writes a record as JSON.</summary>
    protected abstract void WriteRecord(Utf8JsonWriter writer, T value);

    /// <summary>Reads a record; the reader is on its first token.</summary>
    protected abstract T? ReadRecord(ref Utf8JsonReader reader);

    /// <summary>Adds a record's value for each index (by ordinal) to <paramref name="entries"/>; nothing without indexes.</summary>
    protected virtual void AddIndexValues(T value, SkvIndexEntries entries)
    {
    }

    private bool HasIndexes => IndexCount > 0;

    /// <summary>Adds the index entries of <paramref name="value"/>; <paramref name="recordKeySuffix"/> is its key after the collection prefix.</summary>
    private void AddIndexEntries(T value, ReadOnlySpan<byte> recordKeySuffix, List<SkvIndexEntry> entries) =>
        AddIndexValues(value, new SkvIndexEntries(this, entries, recordKeySuffix.ToArray()));

    // ---- keys and values ----

    /// <summary>The full stored key of a typed key (collection prefix included).</summary>
    public byte[] EncodeKey(TKey key) => BuildKey(key).ToArray();

    /// <summary>Serializes a record to the UTF-8 JSON that is stored.</summary>
    public byte[] ToJson(T value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var writer = SkvJson.RentWriter(out var buffer);
        try
        {
            WriteRecord(writer, value);
            writer.Flush();
            return buffer.WrittenSpan.ToArray();
        }
        finally
        {
            SkvJson.ReturnWriter(writer, buffer);
        }
    }

    /// <summary>Reads a record from stored UTF-8 JSON (<see cref="SkvRecordFormatException"/> when the model cannot read it).</summary>
    public T FromJson(ReadOnlySpan<byte> json) => Decode(default, json, hasKey: false);

    /// <summary>Reads the record stored under <paramref name="key"/>; a failure names the collection, the key and the property.</summary>
    private T Decode(ReadOnlySpan<byte> key, ReadOnlySpan<byte> json, bool hasKey = true)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read()) throw new JsonException("the stored value is empty");
            return ReadRecord(ref reader) ?? throw new JsonException("the stored value is null");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            string path = SkvJson.PathAt(json, reader.TokenStartIndex);
            string shownKey = hasKey ? KeyFormatter.Describe(key) : "(no key)";
            if (e is SkvJson.UnknownDerivedTypeJsonException unknown)
                throw new SkvUnknownDerivedTypeException(Name, shownKey, path, typeof(T), unknown.Declared, unknown.Discriminator, e);
            throw new SkvRecordFormatException(Name, shownKey, path, typeof(T), e);
        }
    }

    private SkvKeyBuilder BuildKey(TKey key)
    {
        var builder = SkvKeyBuilder.Shared;
        builder.AppendRaw(_prefix);
        AppendKey(builder, key);
        return builder;
    }

    // ---- reads ----

    /// <summary>The record with this key, or null.</summary>
    public T? Get(TKey key)
    {
        var span = BuildKey(key).Span;
        byte[]? json;
        bool found = _embedded is { } store ? store.TryGet(span, out json) : Storage.TryGet(span, out json);
        return found ? Decode(span, json!) : null;
    }

    public bool TryGet(TKey key, [NotNullWhen(true)] out T? value)
    {
        value = Get(key);
        return value is not null;
    }

    /// <summary>The record with this key as the transaction sees it (its own writes included), or null.</summary>
    public T? Get(ISkvWriteTransaction transaction, TKey key)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        var span = BuildKey(key).Span;
        return transaction.TryGet(span, out var json) ? Decode(span, json) : null;
    }

    public bool Contains(TKey key) => Storage.ContainsKey(BuildKey(key).Span);

    /// <summary>Every record in key order (<see cref="SkvRecordFormatException"/> at a record the model cannot read).</summary>
    public IEnumerable<T> All() => Read(Storage.ScanPrefix(_prefix));

    /// <summary>Every record the model can read, in key order; each one it cannot read goes to <paramref name="onUnreadable"/> instead.</summary>
    public IEnumerable<T> All(Action<SkvRecordFormatException> onUnreadable)
    {
        ArgumentNullException.ThrowIfNull(onUnreadable);
        foreach (var entry in Storage.ScanPrefix(_prefix))
        {
            T value;
            try
            {
                value = Decode(entry.Key.Span, entry.GetValue());
            }
            catch (SkvRecordFormatException e)
            {
                onUnreadable(e);
                continue;
            }
            yield return value;
        }
    }

    /// <summary>Every record of the collection the model cannot read (type changes, renamed enum members), in key order.</summary>
    public List<SkvRecordFormatException> FindUnreadable()
    {
        var problems = new List<SkvRecordFormatException>();
        foreach (var _ in All(problems.Add)) { }
        return problems;
    }

    /// <summary>Records with <paramref name="fromInclusive"/> &lt;= key &lt; <paramref name="toExclusive"/>, in key order.</summary>
    public IEnumerable<T> Range(TKey fromInclusive, TKey toExclusive) =>
        Read(Storage.ScanRange(EncodeKey(fromInclusive), EncodeKey(toExclusive)));

    /// <summary>Records whose key starts with the given encoded key parts (used by generated prefix scans).</summary>
    protected IEnumerable<T> ScanKeyPrefix(SkvKeyBuilder keyParts)
    {
        var prefix = new byte[_prefix.Length + keyParts.Length];
        _prefix.CopyTo(prefix, 0);
        keyParts.Span.CopyTo(prefix.AsSpan(_prefix.Length));
        return Read(Storage.ScanPrefix(prefix));
    }

    private IEnumerable<T> Read(IEnumerable<SkvEntry> entries)
    {
        foreach (var entry in entries) yield return Decode(entry.Key.Span, entry.GetValue());
    }

    // ---- index lookups (the generated By{Property} accessors: SkvIndex, SkvUniqueIndex) ----

    private object?[]? _indexAccessors;

    /// <summary>The accessor of index <paramref name="ordinal"/> (generated: <c>public SkvIndex&lt;User, string&gt; ByCity => Index&lt;string&gt;(0);</c>).</summary>
    protected SkvIndex<T, TValue> Index<TValue>(int ordinal)
    {
        var accessors = _indexAccessors ??= new object?[IndexCount];
        return (SkvIndex<T, TValue>)(accessors[ordinal] ??= new SkvIndex<T, TValue>(this, ordinal));
    }

    /// <summary>The accessor of unique index <paramref name="ordinal"/> (generated for <c>[SkvIndex(Unique = true)]</c>).</summary>
    protected SkvUniqueIndex<T, TValue> UniqueIndex<TValue>(int ordinal)
    {
        var accessors = _indexAccessors ??= new object?[IndexCount];
        return (SkvUniqueIndex<T, TValue>)(accessors[ordinal] ??= new SkvUniqueIndex<T, TValue>(this, ordinal));
    }

    SkvKeyBuilder ISkvIndexHost<T>.IndexKeyOf<TValue>(int index, TValue value) => IndexKeyOf(index, value);

    /// <summary>
    /// What index lookups read: a snapshot (<see cref="ISkvStorage.OpenReadView"/>) or a write transaction, which sees its
    /// own writes. One lookup reads from one source, so an entry and the record it points to agree.
    /// </summary>
    private readonly struct IndexSource(ISkvReader reader, Func<byte[]?, byte[]?, IEnumerable<SkvEntry>> scanRange)
    {
        public ISkvReader Reader => reader;

        public IEnumerable<SkvEntry> ScanRange(byte[]? from, byte[]? to) => scanRange(from, to);

        public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix)
        {
            var (from, to) = SkvStore.PrefixRange(prefix);
            return scanRange(from, to);
        }
    }

    /// <summary>Runs <paramref name="lookup"/> on the transaction, or else on a snapshot opened for it alone.</summary>
    private TResult LookUp<TResult>(ISkvWriteTransaction? transaction, int index, Func<IndexSource, TResult> lookup)
    {
        ThrowIfNotBuilt(index);
        if (transaction is not null) return lookup(new IndexSource(transaction, transaction.ScanRange));
        using var snapshot = Storage.OpenReadView();
        return lookup(new IndexSource(snapshot, snapshot.ScanRange));
    }

    T? ISkvIndexHost<T>.GetUnique(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexKey) =>
        LookUp(transaction, index, source => source.Reader.TryGet(indexKey.Span, out var recordKey)
            && source.Reader.TryGet(recordKey, out var json) ? Indexed(index, indexKey.Span, recordKey, json) : null);

    /// <summary>The records the entries of one index value point to, in key order.</summary>
    List<T> ISkvIndexHost<T>.Find(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexPrefix) =>
        LookUp(transaction, index, source =>
        {
            var result = new List<T>();
            if (IndexUnique[index])
            {
                // a unique entry's key is the value's key itself: a prefix scan would also meet longer string values
                if (source.Reader.TryGet(indexPrefix.Span, out var recordKey) && source.Reader.TryGet(recordKey, out var one)
                    && Indexed(index, indexPrefix.Span, recordKey, one) is { } record) result.Add(record);
                return result;
            }
            foreach (var entry in source.ScanPrefix(indexPrefix.Span))
            {
                byte[] recordKey = entry.GetValue();
                if (source.Reader.TryGet(recordKey, out var json) && Indexed(index, entry.Key.Span, recordKey, json) is { } record) result.Add(record);
            }
            return result;
        });

    /// <summary>Whether a unique index has the entry <paramref name="indexKey"/>, or a non-unique one an entry under that value's prefix.</summary>
    bool ISkvIndexHost<T>.Exists(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder indexKey)
    {
        if (transaction is not null)
        {
            return LookUp(transaction, index, source =>
            {
                if (IndexUnique[index]) return source.Reader.ContainsKey(indexKey.Span);
                using var entries = source.ScanPrefix(indexKey.Span).GetEnumerator();
                return entries.MoveNext();
            });
        }
        // one read of the index entries alone: no snapshot needed
        ThrowIfNotBuilt(index);
        if (IndexUnique[index]) return Storage.ContainsKey(indexKey.Span);
        using var found = Storage.ScanPrefix(indexKey.Span).GetEnumerator();
        return found.MoveNext();
    }

    /// <summary>
    /// The records whose index entries lie in [<paramref name="from"/>, <paramref name="toExclusive"/>), in index order
    /// (then key order), at most <paramref name="limit"/>, starting after <paramref name="after"/>.
    /// </summary>
    SkvPage<T> ISkvIndexHost<T>.Range(ISkvWriteTransaction? transaction, int index, SkvKeyBuilder from, SkvKeyBuilder toExclusive, int limit, SkvIndexCursor? after)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        return LookUp(transaction, index, source =>
        {
            // the cursor is checked after the index (LookUp): a pending index throws SkvIndexNotBuiltException on every path
            byte[] start = RangeStart(from, after), end = toExclusive.ToArray();
            // the page's index entries first (one more tells whether there is a next page), then their records
            var entries = new List<(byte[] IndexKey, byte[] RecordKey)>(Math.Min(limit, 256));
            bool more = false;
            foreach (var entry in source.ScanRange(start, end))
            {
                if (entries.Count == limit)
                {
                    more = true;
                    break;
                }
                entries.Add((entry.Key.ToArray(), entry.GetValue()));
            }
            var items = new List<T>(entries.Count);
            foreach (var (indexKey, recordKey) in entries)
            {
                if (source.Reader.TryGet(recordKey, out var json) && Indexed(index, indexKey, recordKey, json) is { } record) items.Add(record);
            }
            return new SkvPage<T>(items, more ? new SkvIndexCursor(entries[^1].IndexKey) : null);
        });
    }

    /// <summary>Where a page starts: <paramref name="from"/>, or just after the cursor's entry when that is later.</summary>
    private byte[] RangeStart(SkvKeyBuilder from, SkvIndexCursor? after)
    {
        byte[] start = from.ToArray();
        if (after is null) return start;
        if (!after.AfterKey.AsSpan().StartsWith(_indexPrefix)) throw new ArgumentException($"the cursor {after} is not a position in collection {Name}", nameof(after));
        // the successor of the cursor's key: the key with a 0x00 appended
        byte[] next = [.. after.AfterKey, 0];
        return next.AsSpan().SequenceCompareTo(start) > 0 ? next : start;
    }

    // Asynchronous lookups. The embedded store's reads never wait on a server: they run the snapshot lookup above. Other
    // storage (Redis) reads the entries, then the records in one batch; the two reads are not one snapshot, so a record
    // is kept only if it still has the entry it was found by.

    async ValueTask<List<T>> ISkvIndexHost<T>.FindAsync(int index, SkvKeyBuilder indexPrefix, CancellationToken cancellationToken)
    {
        var host = (ISkvIndexHost<T>)this;
        cancellationToken.ThrowIfCancellationRequested(); // as every other async call, on the embedded store too
        if (_embedded is not null) return host.Find(null, index, indexPrefix);
        ThrowIfNotBuilt(index);
        var entries = new List<(byte[] IndexKey, byte[] RecordKey)>();
        if (IndexUnique[index])
        {
            byte[] key = indexPrefix.ToArray();
            if (await Storage.GetAsync(key, cancellationToken).ConfigureAwait(false) is { } recordKey) entries.Add((key, recordKey));
        }
        else
        {
            await foreach (var entry in Storage.ScanPrefixAsync(indexPrefix.ToArray(), cancellationToken).ConfigureAwait(false))
                entries.Add((entry.Key.ToArray(), entry.GetValue()));
        }
        return await ReadIndexedAsync(index, entries, cancellationToken).ConfigureAwait(false);
    }

    async ValueTask<bool> ISkvIndexHost<T>.ExistsAsync(int index, SkvKeyBuilder indexKey, CancellationToken cancellationToken)
    {
        var host = (ISkvIndexHost<T>)this;
        cancellationToken.ThrowIfCancellationRequested(); // as every other async call, on the embedded store too
        if (_embedded is not null) return host.Exists(null, index, indexKey);
        ThrowIfNotBuilt(index);
        if (IndexUnique[index]) return await Storage.GetAsync(indexKey.ToArray(), cancellationToken).ConfigureAwait(false) is not null;
        await foreach (var _ in Storage.ScanPrefixAsync(indexKey.ToArray(), cancellationToken).ConfigureAwait(false)) return true;
        return false;
    }

    async ValueTask<SkvPage<T>> ISkvIndexHost<T>.RangeAsync(int index, SkvKeyBuilder from, SkvKeyBuilder toExclusive, int limit, SkvIndexCursor? after,
        CancellationToken cancellationToken)
    {
        var host = (ISkvIndexHost<T>)this;
        cancellationToken.ThrowIfCancellationRequested(); // as every other async call, on the embedded store too
        if (_embedded is not null) return host.Range(null, index, from, toExclusive, limit, after);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ThrowIfNotBuilt(index);
        var entries = new List<(byte[] IndexKey, byte[] RecordKey)>(Math.Min(limit, 256));
        bool more = false;
        await foreach (var entry in Storage.ScanRangeAsync(RangeStart(from, after), toExclusive.ToArray(), cancellationToken).ConfigureAwait(false))
        {
            if (entries.Count == limit)
            {
                more = true;
                break;
            }
            entries.Add((entry.Key.ToArray(), entry.GetValue()));
        }
        var items = await ReadIndexedAsync(index, entries, cancellationToken).ConfigureAwait(false);
        return new SkvPage<T>(items, more ? new SkvIndexCursor(entries[^1].IndexKey) : null);
    }

    /// <summary>The records the entries point to, in one batched read; those that no longer have their entry are left out.</summary>
    private async ValueTask<List<T>> ReadIndexedAsync(int index, List<(byte[] IndexKey, byte[] RecordKey)> entries, CancellationToken cancellationToken)
    {
        var result = new List<T>(entries.Count);
        if (entries.Count == 0) return result;
        var values = await Storage.GetManyAsync(entries.Select(e => e.RecordKey).ToArray(), cancellationToken).ConfigureAwait(false);
        for (int i = 0; i < entries.Count; i++)
        {
            if (values[i] is not { } json) continue;
            T record = Decode(entries[i].RecordKey, json);
            if (HasEntry(record, entries[i].RecordKey, index, entries[i].IndexKey)) result.Add(record);
        }
        return result;
    }

    /// <summary>
    /// The record an index entry led to, or null when it no longer has that entry. The embedded store reads entry and
    /// record from one snapshot (or under the write lock), so they agree; other storage reads live (Redis:
    /// <see cref="ISkvReadView.IsPointInTime"/> is false), and the record may have changed between the two reads.
    /// </summary>
    private T? Indexed(int index, ReadOnlySpan<byte> indexKey, byte[] recordKey, byte[] json)
    {
        T record = Decode(recordKey, json);
        return _embedded is not null || HasEntry(record, recordKey, index, indexKey) ? record : null;
    }

    /// <summary>Whether <paramref name="record"/> (stored under <paramref name="recordKey"/>) has the entry <paramref name="indexKey"/> in index <paramref name="index"/>.</summary>
    private bool HasEntry(T record, byte[] recordKey, int index, ReadOnlySpan<byte> indexKey)
    {
        var entries = new List<SkvIndexEntry>();
        AddIndexEntries(record, recordKey.AsSpan(_prefix.Length), entries);
        string member = IndexMembers[index];
        foreach (var e in entries)
        {
            if (e.Index == member && e.Key.AsSpan().SequenceEqual(indexKey)) return true;
        }
        return false;
    }

    /// <summary>A builder holding <c>collection#index/</c>, for generated index keys.</summary>
    protected SkvKeyBuilder IndexKey(ReadOnlySpan<byte> indexNameAndSlash) =>
        new SkvKeyBuilder(64).AppendRaw(_indexPrefix).AppendRaw(indexNameAndSlash);

    // ---- writes ----

    private enum Mode { Upsert, Insert, Update }

    /// <summary>Inserts or replaces the record with the same key.</summary>
    public void Put(T value) => Write(value, Mode.Upsert, throwOnConflict: true);

    /// <summary>Adds a record; <see cref="SkvKeyExistsException"/> if its key exists.</summary>
    public void Insert(T value) => Write(value, Mode.Insert, throwOnConflict: true);

    /// <summary>Adds a record unless its key exists; returns whether it was added.</summary>
    public bool TryInsert(T value) => Write(value, Mode.Insert, throwOnConflict: false);

    /// <summary>Replaces a record; <see cref="SkvKeyNotFoundException"/> if its key does not exist.</summary>
    public void Update(T value) => Write(value, Mode.Update, throwOnConflict: true);

    /// <summary>Replaces a record if its key exists; returns whether it did.</summary>
    public bool TryUpdate(T value) => Write(value, Mode.Update, throwOnConflict: false);

    /// <summary>Removes the record with this key (and its index entries); returns whether it existed.</summary>
    public bool Delete(TKey key)
    {
        ForgetUnknownIndexes(null);
        byte[] recordKey = EncodeKey(key);
        return InTransaction(transaction => (DeleteCore(transaction, recordKey), true));
    }

    /// <summary><see cref="Put(T)"/> inside a caller's transaction (committed or rolled back by the caller).</summary>
    public void Put(ISkvWriteTransaction transaction, T value) => WriteInTransaction(transaction, value, Mode.Upsert);

    public void Insert(ISkvWriteTransaction transaction, T value) => WriteInTransaction(transaction, value, Mode.Insert);

    public void Update(ISkvWriteTransaction transaction, T value) => WriteInTransaction(transaction, value, Mode.Update);

    private void WriteInTransaction(ISkvWriteTransaction transaction, T value, Mode mode)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ForgetUnknownIndexes(transaction);
        WriteCore(transaction, value, mode, throwOnConflict: true);
    }

    public bool Delete(ISkvWriteTransaction transaction, TKey key)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ForgetUnknownIndexes(transaction);
        return DeleteCore(transaction, EncodeKey(key));
    }

    private bool Write(T value, Mode mode, bool throwOnConflict)
    {
        ArgumentNullException.ThrowIfNull(value);
        ForgetUnknownIndexes(null);
        // one transaction even without indexes: the record and the collection's counter change together
        return InTransaction(transaction =>
        {
            bool written = WriteCore(transaction, value, mode, throwOnConflict);
            return (written, written);
        });
    }

    private const int ConflictRetries = 50;

    /// <summary>
    /// Runs <paramref name="body"/> in a storage transaction, committing when it says so; an optimistic backend's
    /// conflict (a key read by the body changed before commit) runs it again.
    /// </summary>
    private TResult InTransaction<TResult>(Func<ISkvWriteTransaction, (TResult Result, bool Commit)> body)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var transaction = Storage.BeginWrite();
            var (result, commit) = body(transaction);
            if (!commit) return result;
            try
            {
                transaction.Commit();
                return result;
            }
            catch (SkvTransactionConflictException) when (attempt < ConflictRetries)
            {
                Thread.Sleep(Random.Shared.Next(0, 1 + Math.Min(attempt, 10)));
            }
        }
    }

    private bool WriteCore(ISkvWriteTransaction transaction, T value, Mode mode, bool throwOnConflict)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(value);
        byte[] key = EncodeKey(KeyOf(value));
        SkvStore.ValidateKey(key);
        // serialize before touching the transaction: a record that fails to serialize (a throwing getter) must not
        // leave index changes behind in a transaction the caller goes on to commit
        var writer = SkvJson.RentWriter(out var buffer);
        try
        {
            WriteRecord(writer, value);
            writer.Flush();

            bool exists = transaction.TryGet(key, out var oldJson);
            if (mode == Mode.Insert && exists)
            {
                return throwOnConflict ? throw new SkvKeyExistsException(key) : false;
            }
            if (mode == Mode.Update && !exists)
            {
                return throwOnConflict ? throw new SkvKeyNotFoundException(key) : false;
            }

            if (HasIndexes)
            {
                var suffix = key.AsSpan(_prefix.Length);
                var newEntries = new List<SkvIndexEntry>();
                AddIndexEntries(value, suffix, newEntries);

                // Check every new entry before writing anything, so a unique violation leaves the transaction as it
                // was. An entry is written unless it is already there: the old record's entries may be missing (an
                // index added after the data was written, or a restore of the records only).
                var missing = new List<SkvIndexEntry>(newEntries.Count);
                foreach (var entry in newEntries)
                {
                    if (!transaction.TryGet(entry.Key, out var owner))
                    {
                        missing.Add(entry);
                    }
                    else if (!owner.AsSpan().SequenceEqual(key))
                    {
                        if (entry.Unique) throw new SkvUniqueIndexException(Name, entry.Index, entry.Value);
                        missing.Add(entry);
                    }
                }
                if (oldJson is not null)
                {
                    foreach (var oldEntry in OldEntryKeys(transaction, key, oldJson))
                    {
                        if (!ContainsKey(newEntries, oldEntry)) DeleteIfOwned(transaction, oldEntry, key);
                    }
                }
                foreach (var entry in missing) transaction.Put(entry.Key, key);
            }
            transaction.Put(key, buffer.WrittenSpan);
            if (!exists) transaction.Increment(CountKey, 1);
        }
        finally
        {
            SkvJson.ReturnWriter(writer, buffer);
        }
        return true;
    }

    private bool DeleteCore(ISkvWriteTransaction transaction, byte[] key)
    {
        if (!transaction.TryGet(key, out var oldJson)) return false;
        if (HasIndexes)
        {
            foreach (var entryKey in OldEntryKeys(transaction, key, oldJson)) DeleteIfOwned(transaction, entryKey, key);
        }
        transaction.Delete(key);
        transaction.Increment(CountKey, -1);
        return true;
    }

    /// <summary>
    /// The index entries a stored record has. Derived from its JSON; when this model cannot read that JSON any more
    /// (a renamed enum member, a changed property type), found by scanning the collection's index entries for ones
    /// that point at the record, so that an old record can still be overwritten or deleted.
    /// </summary>
    private List<byte[]> OldEntryKeys(ISkvWriteTransaction transaction, byte[] key, byte[] oldJson)
    {
        var keys = new List<byte[]>();
        T old;
        try
        {
            old = Decode(key, oldJson);
        }
        catch (SkvRecordFormatException)
        {
            foreach (var entry in Storage.ScanPrefix(_indexPrefix))
            {
                if (entry.ValueLength == key.Length && entry.GetValue().AsSpan().SequenceEqual(key)) keys.Add(entry.Key.ToArray());
            }
            return keys;
        }
        var entries = new List<SkvIndexEntry>();
        AddIndexEntries(old, key.AsSpan(_prefix.Length), entries);
        foreach (var entry in entries) keys.Add(entry.Key);
        return keys;
    }

    // An entry derived from the old record may belong to another record (written before the index existed, or
    // restored without its entries): only the record's own entry goes.
    private static void DeleteIfOwned(ISkvWriteTransaction transaction, byte[] entryKey, byte[] recordKey)
    {
        if (transaction.TryGet(entryKey, out var owner) && owner.AsSpan().SequenceEqual(recordKey)) transaction.Delete(entryKey);
    }

    private static bool ContainsKey(List<SkvIndexEntry> entries, ReadOnlySpan<byte> key)
    {
        foreach (var entry in entries)
        {
            if (entry.Key.AsSpan().SequenceEqual(key)) return true;
        }
        return false;
    }

    /// <inheritdoc/>
    public override int RebuildIndexes()
    {
        if (!HasIndexes && IndexCount == 0)
        {
            // no index of this model: entries of indexes a former model had are removed all the same
            using var clear = Storage.BeginWrite();
            foreach (var entry in Storage.ScanPrefix(_indexPrefix)) clear.Delete(entry.Key.Span);
            SkvSchema.PutRecord(clear, this, []);
            SkvSchema.PutCount(clear, this, CountByScan());
            clear.Commit();
            ForgetUnknownIndexesNow();
            return 0;
        }
        return (int)BuildIndexesCore(Enumerable.Range(0, IndexCount).ToArray(), clearAll: true);
    }

    internal override long BuildIndexes(IReadOnlyList<int> ordinals) => BuildIndexesCore(ordinals, clearAll: false);

    /// <summary>
    /// Writes the entries of the listed indexes from the records in one transaction, after removing their old
    /// entries (all of the collection's with <paramref name="clearAll"/>), and records them as built.
    /// </summary>
    private long BuildIndexesCore(IReadOnlyList<int> ordinals, bool clearAll)
    {
        var prefixes = ordinals.Select(i => Encoding.UTF8.GetBytes(IndexKeyPrefix + IndexName(i) + "/")).ToArray();
        using var transaction = Storage.BeginWrite();
        var stale = new List<byte[]>();
        if (clearAll)
        {
            foreach (var entry in Storage.ScanPrefix(_indexPrefix)) stale.Add(entry.Key.ToArray());
        }
        else
        {
            foreach (var prefix in prefixes)
            {
                foreach (var entry in Storage.ScanPrefix(prefix)) stale.Add(entry.Key.ToArray());
            }
        }
        foreach (var key in stale) transaction.Delete(key);

        long written = 0, records = 0;
        var entries = new List<SkvIndexEntry>();
        foreach (var record in Storage.ScanPrefix(_prefix))
        {
            records++;
            entries.Clear();
            byte[] key = record.Key.ToArray();
            AddIndexEntries(Decode(key, record.GetValue()), key.AsSpan(_prefix.Length), entries);
            foreach (var entry in entries)
            {
                if (!prefixes.Any(p => entry.Key.AsSpan().StartsWith(p))) continue;
                if (entry.Unique && transaction.TryGet(entry.Key, out var owner) && !owner.AsSpan().SequenceEqual(key))
                    throw new SkvUniqueIndexException(Name, entry.Index, entry.Value);
                transaction.Put(entry.Key, key);
                written++;
            }
        }
        SkvSchema.PutRecord(transaction, this, BuiltDescriptors(ordinals));
        if (clearAll) SkvSchema.PutCount(transaction, this, records); // a repair: recount too
        transaction.Commit();
        MarkBuilt(ordinals);
        if (clearAll) ForgetUnknownIndexesNow();
        return written;
    }

    internal override long Rekey(ISkvWriteTransaction transaction)
    {
        long moved = 0;
        foreach (var entry in Storage.ScanPrefix(_indexPrefix)) transaction.Delete(entry.Key.Span);
        foreach (var record in Storage.ScanPrefix(_prefix))
        {
            byte[] json = record.GetValue();
            byte[] key = EncodeKey(KeyOf(Decode(record.Key.Span, json)));
            if (key.AsSpan().SequenceEqual(record.Key.Span)) continue;
            if (transaction.TryGet(key, out _) && Storage.ContainsKey(key))
            {
                throw new SkvException($"rekeying collection '{Name}': records {KeyFormatter.Describe(record.Key.Span)} and {KeyFormatter.Describe(key)} have the same key under the new encoding");
            }
            transaction.Delete(record.Key.Span);
            transaction.Put(key, json);
            moved++;
        }
        SkvSchema.PutRecord(transaction, this, []);
        return moved;
    }

    public override string ToString() => $"{Name} ({typeof(T).Name})";
}
