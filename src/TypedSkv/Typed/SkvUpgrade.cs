namespace TypedSkv;

/// <summary>
/// What a database's <c>partial void OnUpgrade(SkvUpgrade upgrade)</c> gets: the stored and the model's schema
/// version, and the one write transaction the upgrade runs in (the version is recorded in it too, so the upgrade
/// happens once, all or nothing). Write through <see cref="Transaction"/> (<c>db.Users.Put(upgrade.Transaction, ...)</c>);
/// <see cref="Storage"/> reads the data as it was before the upgrade.
/// </summary>
public sealed class SkvUpgrade
{
    internal SkvUpgrade(int fromVersion, int toVersion, ISkvStorage storage, ISkvWriteTransaction transaction)
    {
        FromVersion = fromVersion;
        ToVersion = toVersion;
        Storage = storage;
        Transaction = transaction;
    }

    /// <summary>The stored version (0: a store without one: new, or written before the model had versions).</summary>
    public int FromVersion { get; }

    /// <summary>The model's version (<c>[SkvDatabase(SchemaVersion = ...)]</c>).</summary>
    public int ToVersion { get; }

    /// <summary>The storage before the upgrade's writes (they are in <see cref="Transaction"/> until it commits).</summary>
    public ISkvStorage Storage { get; }

    public ISkvWriteTransaction Transaction { get; }

    /// <summary>
    /// After a key type change (<c>int Id</c> to <c>long Id</c>): moves every record of <paramref name="collection"/>
    /// to the key the model computes from it (the JSON is kept as stored), drops its index entries and records the
    /// new key encoding; the indexes are rebuilt when the database opens. Returns the number of records moved.
    /// </summary>
    public long Rekey(SkvCollection collection)
    {
        ArgumentNullException.ThrowIfNull(collection);
        return collection.Rekey(Transaction);
    }
}
