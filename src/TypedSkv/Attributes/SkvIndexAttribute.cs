namespace TypedSkv;

/// <summary>
/// Maintains a secondary index on the property (string, int, long, Guid or a nullable of these; null values
/// are not indexed). Index entries are written in the same atomic transaction as the record. A unique index
/// gets <c>GetBy{Property}</c> and rejects a second record with the same value; a non-unique one gets
/// <c>FindBy{Property}</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SkvIndexAttribute : Attribute
{
    /// <summary>At most one record per value (<see cref="SkvUniqueIndexException"/> otherwise).</summary>
    public bool Unique { get; set; }
}
