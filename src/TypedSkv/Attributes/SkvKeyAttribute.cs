namespace TypedSkv;

/// <summary>
/// Marks the property that identifies a record (string, int, long or Guid). Several key properties make a
/// composite key, ordered by <see cref="Order"/>; stored keys sort by the first part, then the next.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SkvKeyAttribute : Attribute
{
    /// <summary>Position of this part in a composite key (lower first).</summary>
    public int Order { get; set; }
}
