namespace TypedSkv;

/// <summary>
/// Marks a <c>partial</c> class as a typed database over the listed <see cref="SkvRecordAttribute"/> types:
/// the generator adds <c>Open(path)</c>, a constructor over an existing <see cref="SkvStore"/> and one
/// collection property per record type (collection "users" becomes <c>Users</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SkvDatabaseAttribute : Attribute
{
    public SkvDatabaseAttribute(params Type[] records) => Records = records;

    /// <summary>The record types the database holds.</summary>
    public Type[] Records { get; }

    /// <summary>
    /// The schema version of the model (0: not versioned). Opening a store whose stored version is older runs the
    /// database's <c>partial void OnUpgrade(SkvUpgrade upgrade)</c> once, in one write transaction, and then records
    /// this version; a store with a newer version is refused (<see cref="SkvSchemaVersionException"/>).
    /// </summary>
    public int SchemaVersion { get; set; }
}
