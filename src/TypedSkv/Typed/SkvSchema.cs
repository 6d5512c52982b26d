using System.Buffers;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TypedSkv.Typed;

/// <summary>
/// The stored schema of a typed database, checked when it opens (called by generated code). Per collection the
/// key <c>$skv/schema/{collection}</c> holds <c>{"format":1,"key":"int32","indexes":["email:string:unique"]}</c>:
/// the key encoding (a change would strand every record) and the indexes that are built. <c>$skv/version</c>
/// holds the database's schema version when the model declares one.
/// </summary>
/// <remarks>
/// Keys under <c>$skv/</c> never clash with records or index entries: collection names start with a letter.
/// They travel with full backups; a prefix backup of <c>users/</c> does not carry them, and the next open treats
/// the restored collection as one with unknown indexes (rebuilt).
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class SkvSchema
{
    /// <summary>Version of the typed record layout (keys and JSON) the schema record describes.</summary>
    public const int Format = 1;

    public const string KeyPrefix = "$skv/";
    internal static readonly byte[] VersionKey = "$skv/version"u8.ToArray();

    internal static byte[] SchemaKey(string collection) => Encoding.UTF8.GetBytes(KeyPrefix + "schema/" + collection);

    internal static byte[] CountKey(string collection) => Encoding.UTF8.GetBytes(KeyPrefix + "count/" + collection);

    internal static bool TryParseCount(ReadOnlySpan<byte> text, out long count) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out count) && count >= 0;

    /// <summary>Sets a collection's record counter (after counting its records in the same transaction).</summary>
    internal static void PutCount(ISkvWriteTransaction transaction, SkvCollection collection, long count)
    {
        Span<byte> text = stackalloc byte[20];
        count.TryFormat(text, out int n, default, CultureInfo.InvariantCulture);
        transaction.Put(collection.CountKey, text[..n]);
    }

    /// <summary>Builds a database over a store it owns; disposes the store when the database cannot open.</summary>
    public static TDatabase Create<TDatabase>(SkvStore store, Func<SkvStore, TDatabase> create)
    {
        try
        {
            return create(store);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Checks the store against the model: runs the upgrade when the stored version is older, fails on a key encoding
    /// change, records the schema of new collections, and (when the storage is writable) builds pending indexes.
    /// </summary>
    public static void Open(ISkvStorage storage, int version, IReadOnlyList<SkvCollection> collections, Action<SkvUpgrade> upgrade)
    {
        ArgumentNullException.ThrowIfNull(storage);
        bool writable = storage is not SkvStore { IsReadOnly: true };
        if (version > 0) Upgrade(storage, version, collections, upgrade, writable);

        foreach (var collection in collections) Check(storage, collection, writable);
        if (writable) BuildPending(collections, throwOnFailure: false);
    }

    /// <summary>Builds every pending index of the collections; a failed build (duplicates) throws after the others were built.</summary>
    public static long BuildPendingIndexes(IReadOnlyList<SkvCollection> collections) => BuildPending(collections, throwOnFailure: true);

    private static long BuildPending(IReadOnlyList<SkvCollection> collections, bool throwOnFailure)
    {
        long written = 0;
        Exception? first = null;
        foreach (var collection in collections)
        {
            var pending = collection.PendingOrdinals();
            if (pending.Count == 0) continue;
            try
            {
                written += collection.BuildIndexes(pending);
            }
            catch (SkvException e) when (e is SkvUniqueIndexException or SkvRecordFormatException)
            {
                // the index stays pending and says why; the database still opens so the records can be fixed
                collection.SetBuildFailure(pending, e);
                first ??= e;
            }
        }
        if (throwOnFailure && first is not null) throw first;
        return written;
    }

    private static void Upgrade(ISkvStorage storage, int version, IReadOnlyList<SkvCollection> collections, Action<SkvUpgrade> upgrade, bool writable)
    {
        int stored = ReadVersion(storage);
        if (stored > version)
        {
            throw new SkvSchemaVersionException(stored, version, "this code is older than the data; use a build whose model has the store's version or later");
        }
        if (stored == version) return;
        if (!writable)
        {
            throw new SkvSchemaVersionException(stored, version, "the upgrade has not run and a read-only store cannot run it; open the store for writing once");
        }
        using var transaction = storage.BeginWrite();
        int current = ReadVersion(transaction);
        if (current >= version) return; // another writer upgraded meanwhile
        upgrade(new SkvUpgrade(current, version, storage, transaction));
        Span<byte> text = stackalloc byte[11];
        version.TryFormat(text, out int n, default, CultureInfo.InvariantCulture);
        transaction.Put(VersionKey, text[..n]);
        transaction.Commit();
    }

    private static int ReadVersion(ISkvReader reader) =>
        reader.TryGet(VersionKey, out var value) && int.TryParse(Encoding.UTF8.GetString(value), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0;

    private static void Check(ISkvStorage storage, SkvCollection collection, bool writable)
    {
        var built = new bool[collection.IndexCount];
        if (!storage.TryGet(SchemaKey(collection.Name), out var json))
        {
            // a collection this schema check has not seen: new (every index trivially built), or written before
            // schema records existed / restored from a prefix backup (its index entries cannot be trusted)
            bool empty = !storage.ScanPrefix(Encoding.UTF8.GetBytes(collection.KeyPrefix)).Any();
            Array.Fill(built, empty);
            collection.SetSchemaState(built, []);
            if (writable)
            {
                using var transaction = storage.BeginWrite();
                PutRecord(transaction, collection, empty ? collection.IndexDescriptors.ToArray() : []);
                PutCount(transaction, collection, empty ? 0 : collection.CountByScan());
                transaction.Commit();
            }
            return;
        }
        if (writable && !storage.ContainsKey(collection.CountKey))
        {
            // restored without its counter, or a Clear removed it: count once
            using var transaction = storage.BeginWrite();
            PutCount(transaction, collection, collection.CountByScan());
            transaction.Commit();
        }

        var (format, key, indexes) = ParseRecord(collection.Name, json);
        if (format != Format)
        {
            throw new SkvSchemaMismatchException(collection.Name, "typed format", format.ToString(CultureInfo.InvariantCulture), Format.ToString(CultureInfo.InvariantCulture));
        }
        if (key != collection.KeyEncoding)
        {
            throw new SkvSchemaMismatchException(collection.Name, "key encoding", key, collection.KeyEncoding);
        }
        for (int i = 0; i < built.Length; i++) built[i] = indexes.Contains(collection.IndexDescriptors[i]);
        collection.SetSchemaState(built, indexes.Where(s => !collection.IndexDescriptors.Contains(s)).ToArray());
    }

    private static (int Format, string Key, List<string> Indexes) ParseRecord(string collection, byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            var indexes = root.GetProperty("indexes").EnumerateArray().Select(e => e.GetString()!).ToList();
            return (root.GetProperty("format").GetInt32(), root.GetProperty("key").GetString()!, indexes);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new SkvSchemaMismatchException(collection, "schema record", Encoding.UTF8.GetString(json), "a valid schema record");
        }
    }

    /// <summary>Writes a collection's schema record listing <paramref name="builtIndexes"/> as built.</summary>
    internal static void PutRecord(ISkvWriteTransaction transaction, SkvCollection collection, IEnumerable<string> builtIndexes)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("format"u8, Format);
            writer.WriteString("key"u8, collection.KeyEncoding);
            writer.WriteStartArray("indexes"u8);
            foreach (string index in builtIndexes) writer.WriteStringValue(index);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        transaction.Put(SchemaKey(collection.Name), buffer.WrittenSpan);
    }
}
