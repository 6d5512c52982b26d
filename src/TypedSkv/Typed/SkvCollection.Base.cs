using System.Text;
using TypedSkv.Typed;

namespace TypedSkv;

/// <summary>
/// What every typed collection has whatever its record type: its name and key prefixes, the shape its schema
/// record stores (key encoding, indexes) and which of its indexes are built. See <see cref="SkvCollection{T, TKey}"/>.
/// </summary>
public abstract class SkvCollection
{
    private readonly string[] _indexes;
    private readonly string[] _indexNames;
    private readonly object _schemaLock = new();
    private bool[]? _built;                   // null until the database has checked the schema: everything usable
    private Exception?[]? _buildFailures;
    private string[] _unknownStoredIndexes = [];

    private protected SkvCollection(ISkvStorage storage, string name, string keyEncoding, string[] indexes)
    {
        ArgumentNullException.ThrowIfNull(storage);
        Storage = storage;
        Embedded = storage as SkvStore;
        Name = name;
        KeyEncoding = keyEncoding;
        // "Member=name:kind[:unique]": the member names errors; the rest is what the schema record stores
        _indexes = indexes.Select(i => i[(i.IndexOf('=') + 1)..]).ToArray();
        _indexNames = _indexes.Select(i => i.Split(':')[0]).ToArray();
        IndexMembers = indexes.Select(i => i.IndexOf('=') > 0 ? i[..i.IndexOf('=')] : i.Split(':')[0]).ToArray();
        IndexUnique = _indexes.Select(i => i.EndsWith(":unique", StringComparison.Ordinal)).ToArray();
        IndexPrefixes = _indexNames.Select(n => Encoding.UTF8.GetBytes(name + "#" + n + "/")).ToArray();
        PrefixBytes = Encoding.UTF8.GetBytes(name + "/");
        CountKey = SkvSchema.CountKey(name);
        IndexPrefixBytes = Encoding.UTF8.GetBytes(name + "#");
    }

    /// <summary>The storage the collection reads and writes.</summary>
    public ISkvStorage Storage { get; }

    private protected SkvStore? Embedded { get; }

    /// <summary>The embedded store under the collection; <see cref="InvalidOperationException"/> on another backend (use <see cref="Storage"/>).</summary>
    public SkvStore Store => Embedded ?? throw new InvalidOperationException($"collection {Name} is not over an embedded SkvStore but {Storage.GetType().Name}; use Storage");

    /// <summary>Collection name (the key prefix without its '/').</summary>
    public string Name { get; }

    /// <summary>Prefix of every record key of the collection ("users/"), for prefix backups.</summary>
    public string KeyPrefix => Name + "/";

    /// <summary>Prefix of every index entry of the collection ("users#").</summary>
    public string IndexKeyPrefix => Name + "#";

    /// <summary>The kinds of the key's parts as stored in the schema record ("int32", "string,int64").</summary>
    public string KeyEncoding { get; }

    /// <summary>The indexes as the schema record stores them ("email:string:unique").</summary>
    public IReadOnlyList<string> IndexDescriptors => _indexes;

    /// <summary>Indexes (by stored name) that cannot answer yet; empty when every index is built.</summary>
    public IReadOnlyList<string> PendingIndexes
    {
        get
        {
            var built = Volatile.Read(ref _built);
            return built is null ? [] : _indexNames.Where((_, i) => !built[i]).ToArray();
        }
    }

    private protected byte[] PrefixBytes { get; }

    /// <summary>
    /// The top-level JSON property names the model reads (for a record type with [SkvDerivedType], those of every listed
    /// type); null when unknown. <see cref="FindUnknownProperties"/> compares stored records with it.
    /// </summary>
    protected virtual IReadOnlyList<string>? StoredProperties => null;

    /// <summary>
    /// The top-level properties of stored records that the model does not read, with how many records have each and one
    /// such record's key, by name: a property renamed without <c>[SkvPropertyName("old")]</c> (its data reads as the
    /// default and is dropped at the record's next write, unless <c>[SkvExtensionData]</c> keeps it) or a removed one.
    /// Reads every record of the collection: an opt-in check for a test or a startup step after a model change, not
    /// something to run on every open. Empty when the model knows every stored property.
    /// </summary>
    public IReadOnlyList<SkvUnknownProperty> FindUnknownProperties()
    {
        if (StoredProperties is not { } known) return [];
        var names = new HashSet<string>(known, StringComparer.Ordinal) { "$type" };
        var found = new SortedDictionary<string, (long Count, string Key)>(StringComparer.Ordinal);
        foreach (var entry in Storage.ScanPrefix(PrefixBytes))
        {
            byte[] json = entry.GetValue();
            var reader = new System.Text.Json.Utf8JsonReader(json);
            try
            {
                if (!reader.Read() || reader.TokenType != System.Text.Json.JsonTokenType.StartObject) continue;
                while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    if (!names.Contains(name))
                        found[name] = found.TryGetValue(name, out var seen) ? (seen.Count + 1, seen.Key) : (1, KeyFormatter.Describe(entry.Key.Span));
                    reader.Read();
                    reader.Skip();
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // damaged JSON is FindUnreadable's to report
            }
        }
        return found.Select(p => new SkvUnknownProperty(p.Key, p.Value.Count, p.Value.Key)).ToArray();
    }

    /// <summary>Where the number of records is kept (<c>$skv/count/{collection}</c>), updated by every typed write in its transaction.</summary>
    internal byte[] CountKey { get; }
    private protected byte[] IndexPrefixBytes { get; }

    /// <summary>
    /// Number of records: O(1), from the counter every typed write updates in its own transaction; a scan when the
    /// store has no counter (opened read-only before a writer created it).
    /// </summary>
    public long Count()
    {
        if (Storage.TryGet(CountKey, out var text) && SkvSchema.TryParseCount(text, out long n)) return n;
        return CountByScan();
    }

    /// <summary>Counts the records by scanning their keys (O(n)).</summary>
    public long CountByScan()
    {
        long n = 0;
        foreach (var _ in Storage.ScanPrefix(PrefixBytes)) n++;
        return n;
    }

    /// <summary>
    /// Rewrites every index entry of the collection from its records in one transaction (after restoring a
    /// prefix backup of the records only, or to repair). Returns the number of entries written.
    /// </summary>
    public abstract int RebuildIndexes();

    /// <summary>Builds the listed indexes (ordinals) from the records, in one transaction; records them as built.</summary>
    internal abstract long BuildIndexes(IReadOnlyList<int> ordinals);

    /// <summary>Moves every record whose stored key is not the model's encoding of its key (see <see cref="SkvUpgrade.Rekey"/>).</summary>
    internal abstract long Rekey(ISkvWriteTransaction transaction);

    // ---- schema state ----

    internal string IndexName(int ordinal) => _indexNames[ordinal];

    /// <summary>Per index: the property it is on, whether it is unique, and its entries' prefix ("users#email/").</summary>
    private protected string[] IndexMembers { get; }
    private protected bool[] IndexUnique { get; }
    private protected byte[][] IndexPrefixes { get; }

    internal int IndexCount => _indexes.Length;

    internal void SetSchemaState(bool[] built, string[] unknownStoredIndexes)
    {
        lock (_schemaLock)
        {
            _buildFailures = new Exception?[_indexes.Length];
            _unknownStoredIndexes = unknownStoredIndexes;
            Volatile.Write(ref _built, built);
        }
    }

    internal IReadOnlyList<int> PendingOrdinals()
    {
        var built = Volatile.Read(ref _built);
        return built is null ? [] : Enumerable.Range(0, _indexes.Length).Where(i => !built[i]).ToArray();
    }

    internal void SetBuildFailure(IReadOnlyList<int> ordinals, Exception failure)
    {
        lock (_schemaLock)
        {
            if (_buildFailures is null) return;
            foreach (int i in ordinals) _buildFailures[i] = failure;
        }
    }

    /// <summary>The descriptors the schema record lists as built, with <paramref name="nowBuilt"/> added.</summary>
    private protected string[] BuiltDescriptors(IEnumerable<int> nowBuilt)
    {
        var built = Volatile.Read(ref _built);
        var set = new HashSet<int>(nowBuilt);
        return _indexes.Where((_, i) => set.Contains(i) || built is null || built[i]).ToArray();
    }

    private protected void MarkBuilt(IReadOnlyList<int> ordinals)
    {
        lock (_schemaLock)
        {
            var built = (bool[]?)_built?.Clone() ?? Enumerable.Repeat(true, _indexes.Length).ToArray();
            foreach (int i in ordinals)
            {
                built[i] = true;
                if (_buildFailures is not null) _buildFailures[i] = null;
            }
            Volatile.Write(ref _built, built);
        }
    }

    /// <summary>An index lookup must not answer from an index that is not built.</summary>
    protected void ThrowIfNotBuilt(int ordinal)
    {
        var built = Volatile.Read(ref _built);
        if (built is not null && !built[ordinal])
        {
            throw new SkvIndexNotBuiltException(Name, _indexNames[ordinal], _buildFailures?[ordinal]);
        }
    }

    /// <summary>
    /// Before this model writes: indexes the schema record lists but this model does not know would go stale with
    /// its writes, so the record stops listing them (a model that has them rebuilds them when it opens).
    /// </summary>
    private protected void ForgetUnknownIndexes(ISkvWriteTransaction? transaction)
    {
        if (Volatile.Read(ref _unknownStoredIndexes).Length == 0) return;
        if (transaction is not null)
        {
            SkvSchema.PutRecord(transaction, this, BuiltDescriptors([]));
            return; // the caller's transaction may roll back: check again on the next write
        }
        lock (_schemaLock)
        {
            if (_unknownStoredIndexes.Length == 0) return;
            using var own = Storage.BeginWrite();
            SkvSchema.PutRecord(own, this, BuiltDescriptors([]));
            own.Commit();
            _unknownStoredIndexes = [];
        }
    }

    internal void ForgetUnknownIndexesNow() => _unknownStoredIndexes = [];

    /// <summary>The entry key of <paramref name="value"/> in an index (without the record key a non-unique entry ends with).</summary>
    private protected SkvKeyBuilder IndexKeyOf<TValue>(int index, TValue value)
    {
        var builder = new SkvKeyBuilder(64).AppendRaw(IndexPrefixes[index]);
        bool last = IndexUnique[index];
        return value switch
        {
            string s => builder.AppendString(s, last),
            int i => builder.AppendInt32(i),
            long l => builder.AppendInt64(l),
            Guid g => builder.AppendGuid(g),
            null => throw new ArgumentNullException(nameof(value), $"index {Name}.{IndexMembers[index]} has no entries for null"),
            _ => throw new ArgumentException($"index {Name}.{IndexMembers[index]} cannot hold a {value.GetType().Name}", nameof(value)),
        };
    }

    /// <summary>Adds the entry of <paramref name="value"/> (none for null) to a record's index entries.</summary>
    internal void AddEntry<TValue>(List<SkvIndexEntry> entries, int index, TValue value, ReadOnlySpan<byte> recordKeySuffix)
    {
        if (value is null) return;
        var key = IndexKeyOf(index, value);
        if (!IndexUnique[index]) key.AppendRaw(recordKeySuffix);
        entries.Add(new SkvIndexEntry(IndexMembers[index], IndexUnique[index], key.ToArray(), value.ToString() ?? ""));
    }
}

/// <summary>Collects a record's index entries: generated code adds the record's value for each index by ordinal.</summary>
public sealed class SkvIndexEntries
{
    private readonly SkvCollection _collection;
    private readonly List<Typed.SkvIndexEntry> _entries;
    private readonly byte[] _recordKeySuffix;

    internal SkvIndexEntries(SkvCollection collection, List<Typed.SkvIndexEntry> entries, byte[] recordKeySuffix)
    {
        _collection = collection;
        _entries = entries;
        _recordKeySuffix = recordKeySuffix;
    }

    /// <summary>The record's value for index <paramref name="index"/> (no entry for null).</summary>
    public SkvIndexEntries Add<TValue>(int index, TValue value)
    {
        _collection.AddEntry(_entries, index, value, _recordKeySuffix);
        return this;
    }
}

/// <summary>A stored top-level property the model does not read (see <see cref="SkvCollection.FindUnknownProperties"/>).</summary>
/// <param name="Name">The stored JSON name.</param>
/// <param name="Records">How many records have it.</param>
/// <param name="ExampleKey">The key of the first such record, as shown text.</param>
public sealed record SkvUnknownProperty(string Name, long Records, string ExampleKey);
