namespace TypedSkv;

/// <summary>
/// The JSON property name a property is stored under (default: the property name in camelCase). Use it to
/// rename a C# property without migrating stored data.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SkvPropertyNameAttribute : Attribute
{
    public SkvPropertyNameAttribute(string name) => Name = name;

    public string Name { get; }
}
