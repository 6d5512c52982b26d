namespace TypedSkv;

/// <summary>
/// Marks a class or record as a stored record type. Every record of the type lives under the key prefix
/// <c>collection + "/"</c>, so one store holds many collections and a prefix backup takes one of them.
/// List the type in a <see cref="SkvDatabaseAttribute"/> to get typed accessors.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class SkvRecordAttribute : Attribute
{
    /// <param name="collection">Collection name: starts with a letter; letters, digits, '_', '-' and '.' only.</param>
    public SkvRecordAttribute(string collection) => Collection = collection;

    /// <summary>The collection name, also the key prefix (without the trailing '/').</summary>
    public string Collection { get; }
}
