namespace TypedSkv;

/// <summary>
/// Marks a <c>Dictionary&lt;string, JsonElement&gt;</c> (or <c>IDictionary</c>) property that receives every stored JSON
/// property the type does not know, and writes them back: data of a removed or renamed property survives a rewrite
/// by a newer model (like System.Text.Json's <c>[JsonExtensionData]</c>). At most one per type.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class SkvExtensionDataAttribute : Attribute
{
}
