namespace TypedSkv;

/// <summary>The property is not stored (it gets its default value when a record is read back).</summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SkvIgnoreAttribute : Attribute
{
}
