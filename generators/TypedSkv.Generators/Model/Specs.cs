using TypedSkv.Generators.Helpers;

namespace TypedSkv.Generators.Model
{
    // The pipeline's models: records of strings, enums, ints and ImmutableEquatableArray, compared by value,
    // so an edit that does not change them leaves generated source untouched. Types are referred to by their
    // fully qualified C# name; nothing here holds an ISymbol, a SyntaxNode or a Compilation.

    /// <summary>One typed database class and everything its generated file needs.</summary>
    internal sealed record DatabaseSpec(
        string HintName,
        string? Namespace,
        ImmutableEquatableArray<ContainingTypeSpec> ContainingTypes,
        string Keyword,
        string TypeName,
        ImmutableEquatableArray<CollectionSpec> Collections,
        ImmutableEquatableArray<TypeSpec> Types,
        int SchemaVersion);

    /// <summary>A type the database class is nested in ("partial class Outer"); <see cref="TypeParameters"/> is "&lt;T&gt;" or "".</summary>
    internal sealed record ContainingTypeSpec(string Keyword, string Name, string TypeParameters);

    /// <summary>
    /// One collection: a record type stored under "Name/". <see cref="Accessibility"/>: "public" when the record type is visible outside its assembly, else "internal"
    /// outside its assembly, so the collection class and property can be public (else internal).
    /// </summary>
    internal sealed record CollectionSpec(
        string Accessibility,
        string Name,
        string PropertyName,
        string ClassName,
        string RecordType,
        string RecordTypeId,
        ImmutableEquatableArray<KeyPartSpec> Keys,
        ImmutableEquatableArray<IndexSpec> Indexes);

    internal enum KeyKind
    {
        String,
        Int32,
        Int64,
        Guid,
    }

    /// <summary>A part of a record key, in key order.</summary>
    internal sealed record KeyPartSpec(string Member, string ParameterName, KeyKind Kind, string Type);

    /// <summary>A secondary index on one property (stored under "collection#KeyName/"); <see cref="CanBeNull"/> values are skipped when null.</summary>
    internal sealed record IndexSpec(string Member, string KeyName, string ParameterName, KeyKind Kind, bool Unique, bool CanBeNull, string ValueType);

    internal enum TypeSpecKind
    {
        /// <summary>Read/written by a TypedSkv.Typed.SkvJson method named after <see cref="TypeSpec.Primitive"/>.</summary>
        Primitive,
        Enum,
        Nullable,
        Array,
        /// <summary>List&lt;T&gt; or a list interface read as List&lt;T&gt;.</summary>
        List,
        /// <summary>Dictionary&lt;string, T&gt; or a dictionary interface read as one, as a JSON object.</summary>
        Dictionary,
        /// <summary>HashSet&lt;T&gt;, ISet&lt;T&gt; or IReadOnlySet&lt;T&gt;, read as a HashSet, as a JSON array.</summary>
        Set,
        /// <summary>System.Collections.Immutable.ImmutableArray&lt;T&gt; as a JSON array (default: null).</summary>
        ImmutableArray,
        /// <summary>Read/written by an ISkvConverter; <see cref="TypeSpec.Primitive"/> is the converter type.</summary>
        Converter,
        Object,
    }

    /// <summary>
    /// A serializable type. <see cref="Id"/> names its generated Write_/Read_ methods; <see cref="Type"/> is
    /// the fully qualified name without a top-level nullable annotation. <see cref="KeepInitializerDefaults"/>:
    /// members set by the object initializer that are missing from the JSON keep the value a new instance has
    /// (their property initializer) instead of default.
    /// </summary>
    internal sealed record TypeSpec(
        string Id,
        string Type,
        TypeSpecKind Kind,
        bool IsValueType,
        string? Primitive,
        string? ElementId,
        string? ElementType,
        string? EnumUnderlyingType,
        ImmutableEquatableArray<EnumMemberSpec> EnumMembers,
        ImmutableEquatableArray<MemberSpec> Members,
        ImmutableEquatableArray<CtorArgSpec> CtorArgs,
        bool KeepInitializerDefaults = false,
        bool CheckExactType = false,
        ExtensionDataSpec? ExtensionData = null,
        ImmutableEquatableArray<DerivedTypeSpec>? DerivedTypes = null,
        bool IsAbstract = false,
        bool WritesDiscriminator = false);

    /// <summary>
    /// A [SkvDerivedType] of an object type: written with "$type" = <see cref="Discriminator"/> by the type's own writer
    /// (<see cref="TypeId"/>), read back by its reader. A base type's list is ordered most-derived first, so a type test
    /// picks the closest listed type. <see cref="TypeSpec.WritesDiscriminator"/> marks the derived types' specs.
    /// </summary>
    internal sealed record DerivedTypeSpec(string Discriminator, string TypeId, string Type);

    /// <summary>
    /// The [SkvExtensionData] member of an object type: a string-to-JsonElement dictionary that keeps JSON
    /// properties the model does not know, so a rewrite does not drop them. <see cref="InitializerSet"/>: set in
    /// the object initializer (else a constructor argument).
    /// </summary>
    internal sealed record ExtensionDataSpec(string Name, bool InitializerSet, bool Nullable);

    internal sealed record EnumMemberSpec(string Name, string Value);

    /// <summary>
    /// A stored property. <see cref="InitializerSet"/>: set in the object initializer (else it is passed to the
    /// constructor or only written).
    /// </summary>
    internal sealed record MemberSpec(string Name, string JsonName, string TypeId, string Type, bool IsValueType, bool InitializerSet, string DefaultValue);

    /// <summary>A constructor argument: the member index it comes from, or -1 with a default expression.</summary>
    internal sealed record CtorArgSpec(int MemberIndex, string DefaultValue)
    {
        /// <summary><see cref="MemberIndex"/> of the argument that takes the extension data.</summary>
        public const int ExtensionData = -2;
    }
}
