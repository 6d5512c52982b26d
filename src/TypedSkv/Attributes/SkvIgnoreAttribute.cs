namespace TypedSkv;

/// <summary>
/// The property is not stored (it gets its default value when a record is read back). On a public field it
/// silences SKV019 (fields are never stored).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field, AllowMultiple = false, Inherited = false)]
public sealed class SkvIgnoreAttribute : Attribute
{
}
