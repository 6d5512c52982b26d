namespace TypedSkv;

/// <summary>
/// Stores the property (or, on a type, every property of that type) with a converter: a class with a public
/// parameterless constructor implementing <see cref="ISkvConverter{T}"/> for the property's type. One instance
/// is created per converter type and shared, so it must be thread-safe (stateless).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Class | AttributeTargets.Struct, AllowMultiple = false, Inherited = false)]
public sealed class SkvConverterAttribute : Attribute
{
    public SkvConverterAttribute(Type converterType) => ConverterType = converterType;

    public Type ConverterType { get; }
}

/// <summary>Writes and reads one value of <typeparamref name="T"/> as JSON (see <see cref="SkvConverterAttribute"/>).</summary>
public interface ISkvConverter<T>
{
    /// <summary>Writes exactly one JSON value.</summary>
    void Write(System.Text.Json.Utf8JsonWriter writer, T value);

    /// <summary>Reads the value the reader is on (its first token, possibly null) and leaves the reader on its last token.</summary>
    T Read(ref System.Text.Json.Utf8JsonReader reader);
}
