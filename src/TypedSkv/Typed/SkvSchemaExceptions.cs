namespace TypedSkv;

/// <summary>
/// A collection's stored schema (key encoding, typed format) does not match the model: with the new key type its
/// records would not be found by key and <c>Put</c> would add second copies. Raised when the database opens.
/// </summary>
public sealed class SkvSchemaMismatchException : SkvException
{
    public SkvSchemaMismatchException(string collection, string what, string stored, string model)
        : base($"collection '{collection}' was written with {what} {stored}, but the model has {model}: its records would not be found by key "
            + $"and Put would store second copies. Go back to the old key type, or migrate: raise [SkvDatabase(SchemaVersion = ...)] and call "
            + $"upgrade.Rekey(...) for the collection in the database's partial void OnUpgrade(SkvUpgrade upgrade) (docs/typed-access.md#migrations)")
    {
        Collection = collection;
        Stored = stored;
        Model = model;
    }

    public string Collection { get; }

    /// <summary>What the store says (for a key: its parts' kinds, such as "int32").</summary>
    public string Stored { get; }

    /// <summary>What the model says.</summary>
    public string Model { get; }
}

/// <summary>The store's schema version is newer than the model's (older code on newer data), or an upgrade cannot run (read-only).</summary>
public sealed class SkvSchemaVersionException : SkvException
{
    public SkvSchemaVersionException(int storedVersion, int modelVersion, string problem)
        : base($"the store is at schema version {storedVersion} and the model at version {modelVersion}: {problem}")
    {
        StoredVersion = storedVersion;
        ModelVersion = modelVersion;
    }

    public int StoredVersion { get; }
    public int ModelVersion { get; }
}

/// <summary>
/// A lookup used an index that is not built (added to a collection that had data, opened read-only, or its build
/// failed): the answer could be wrong, so there is none. Build it with the database's <c>BuildPendingIndexes()</c>.
/// </summary>
public sealed class SkvIndexNotBuiltException : SkvException
{
    public SkvIndexNotBuiltException(string collection, string index, Exception? buildFailure)
        : base($"index {collection}.{index} is not built, so it cannot answer"
            + (buildFailure is null
                ? ": it was added to a collection that has records; open the store for writing (the database's Open builds pending indexes) or call BuildPendingIndexes()"
                : $": building it failed ({buildFailure.Message}); fix the records, then call BuildPendingIndexes()"), buildFailure)
    {
        Collection = collection;
        Index = index;
    }

    public string Collection { get; }

    /// <summary>The index's stored name (the property's JSON name).</summary>
    public string Index { get; }
}

/// <summary>
/// A stored record cannot be read by the model (a property whose type changed, an enum member that was renamed,
/// damaged JSON). Names the collection, the record's key and the property; <c>All(onUnreadable)</c> and
/// <c>FindUnreadable()</c> read past such records.
/// </summary>
public class SkvRecordFormatException : SkvException
{
    public SkvRecordFormatException(string collection, string key, string property, Type recordType, Exception inner)
        : base($"cannot read record {key} of collection '{collection}' as {recordType.Name}"
            + (property.Length > 0 ? $": property '{property}'" : "") + $": {inner.Message}", inner)
    {
        Collection = collection;
        Key = key;
        Property = property;
        RecordType = recordType;
    }

    public string Collection { get; }

    /// <summary>The record's stored key, as shown text.</summary>
    public string Key { get; }

    /// <summary>JSON path of the value that failed ("age", "address.zip", "tags[2]"); "" when the record itself is not an object.</summary>
    public string Property { get; }

    public Type RecordType { get; }
}

/// <summary>
/// A stored polymorphic value (see <see cref="SkvDerivedTypeAttribute"/>) whose <c>$type</c> discriminator the model does
/// not list: a derived type was removed or renamed, or the data was written by a newer model. <see cref="SkvRecordFormatException.Property"/>
/// is the JSON path of the value ("" for the record itself).
/// </summary>
public sealed class SkvUnknownDerivedTypeException : SkvRecordFormatException
{
    public SkvUnknownDerivedTypeException(string collection, string key, string property, Type recordType, Type declaredType, string discriminator, Exception inner)
        : base(collection, key, property, recordType, inner)
    {
        DeclaredType = declaredType;
        Discriminator = discriminator;
    }

    /// <summary>The property's declared type, whose [SkvDerivedType] list lacks <see cref="Discriminator"/>.</summary>
    public Type DeclaredType { get; }

    /// <summary>The stored <c>$type</c> value.</summary>
    public string Discriminator { get; }
}
