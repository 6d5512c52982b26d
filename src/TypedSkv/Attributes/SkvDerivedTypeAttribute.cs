namespace TypedSkv;

/// <summary>
/// Declares a derived type that a property (or collection element, or record) of the annotated type can hold, and the
/// discriminator it is stored with, like System.Text.Json's <c>[JsonDerivedType]</c>: a derived instance is written as
/// <c>{"$type":"discriminator", ...its own properties}</c> and read back as that type. An instance of the annotated type
/// itself is written without <c>$type</c>. A stored discriminator the model does not list throws
/// <see cref="SkvUnknownDerivedTypeException"/>; a derived instance whose type is not listed is refused at write.
/// </summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
public sealed class SkvDerivedTypeAttribute : Attribute
{
    public SkvDerivedTypeAttribute(Type derivedType, string typeDiscriminator)
    {
        DerivedType = derivedType;
        TypeDiscriminator = typeDiscriminator;
    }

    /// <summary>A non-abstract class deriving from the annotated type.</summary>
    public Type DerivedType { get; }

    /// <summary>The stored <c>$type</c> value; unique within the annotated type's list.</summary>
    public string TypeDiscriminator { get; }
}
