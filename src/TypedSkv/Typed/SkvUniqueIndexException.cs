namespace TypedSkv;

/// <summary>A write would give a unique index two records with the same value.</summary>
public sealed class SkvUniqueIndexException : SkvException
{
    public SkvUniqueIndexException(string collection, string index, string value)
        : base($"unique index {collection}.{index} already has a record with value {value}")
    {
        Collection = collection;
        Index = index;
        Value = value;
    }

    public string Collection { get; }
    public string Index { get; }
    /// <summary>The duplicated value as shown text.</summary>
    public string Value { get; }
}
