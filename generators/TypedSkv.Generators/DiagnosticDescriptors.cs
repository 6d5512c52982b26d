using Microsoft.CodeAnalysis;

namespace TypedSkv.Generators
{
    /// <summary>Every diagnostic the generator reports. IDs are stable; see AnalyzerReleases.*.md.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "TypedSkv";

        /// <summary>
        /// Where every ID's section (cause, example, fix) is: docs/diagnostics.md, anchor "skv0nn". The project has no public
        /// URL, so the link is relative: to the repository root and to the root of the TypedSkv package, which carries the
        /// same file (src/TypedSkv/TypedSkv.csproj packs it as docs/diagnostics.md). When the project gets a public URL,
        /// this one constant becomes "https://.../docs/diagnostics.md#".
        /// </summary>
        internal const string HelpBase = "docs/diagnostics.md#";

        private static string Help(string id) => HelpBase + id.ToLowerInvariant();

        public static readonly DiagnosticDescriptor NoKey = new DiagnosticDescriptor(
            "SKV001",
            "Record type has no key",
            "Record type '{0}' has no property marked [SkvKey]; mark the property that identifies a record (several, with Order, for a composite key)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV001"));

        public static readonly DiagnosticDescriptor UnsupportedKeyType = new DiagnosticDescriptor(
            "SKV002",
            "Unsupported key type",
            "Key property '{0}' has type '{1}'; a key part must be string, int, long or Guid",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV002"));

        public static readonly DiagnosticDescriptor UnsupportedPropertyType = new DiagnosticDescriptor(
            "SKV003",
            "Unsupported property type",
            "Property '{0}' has type '{1}', which TypedSkv cannot store: {2}; change its type, give it a [SkvConverter], or mark it [SkvIgnore]",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV003"));

        public static readonly DiagnosticDescriptor DuplicateCollectionName = new DiagnosticDescriptor(
            "SKV004",
            "Duplicate collection name",
            "'{0}' and '{1}' both use collection '{2}' in database '{3}'; each record type needs its own collection name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV004"));

        public static readonly DiagnosticDescriptor DatabaseNotPartial = new DiagnosticDescriptor(
            "SKV005",
            "Database class must be partial",
            "Database class '{0}' must be declared partial (and so must every type it is nested in) so the generator can add its members",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV005"));

        public static readonly DiagnosticDescriptor NullableKey = new DiagnosticDescriptor(
            "SKV006",
            "Key property can be null",
            "Key property '{0}' has nullable type '{1}'; keys cannot be null, make it non-nullable",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV006"));

        public static readonly DiagnosticDescriptor RecordNotListed = new DiagnosticDescriptor(
            "SKV007",
            "Record type is not in any database",
            "Record type '{0}' (collection '{1}') is not listed in any [SkvDatabase]; no accessors are generated for it",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("SKV007"));

        public static readonly DiagnosticDescriptor NotARecordType = new DiagnosticDescriptor(
            "SKV008",
            "Listed type is not a record type",
            "'{0}' is listed in [SkvDatabase] but has no [SkvRecord(\"collection\")] attribute",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV008"));

        public static readonly DiagnosticDescriptor InvalidCollectionName = new DiagnosticDescriptor(
            "SKV009",
            "Invalid collection name",
            "Collection name '{0}' is invalid: it must start with a letter and contain only letters, digits, '_', '-' or '.' ('/' and '#' separate keys)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV009"));

        public static readonly DiagnosticDescriptor DuplicateKeyOrder = new DiagnosticDescriptor(
            "SKV010",
            "Two key parts have the same Order",
            "Key properties '{0}' and '{1}' both have Order = {2}; give each part of a composite key a distinct Order",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV010"));

        public static readonly DiagnosticDescriptor UnsupportedIndexType = new DiagnosticDescriptor(
            "SKV011",
            "Unsupported index type",
            "Index on property '{0}' of type '{1}' is not supported; an indexed property must be string, int, long, Guid or a nullable of these",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV011"));

        public static readonly DiagnosticDescriptor NoUsableConstructor = new DiagnosticDescriptor(
            "SKV012",
            "No constructor to read the type back",
            "Type '{0}' has no accessible constructor whose parameters all match properties by name and type, and no parameterless one; add one so stored values can be read back",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV012"));

        public static readonly DiagnosticDescriptor DuplicateRecordType = new DiagnosticDescriptor(
            "SKV013",
            "Record type listed twice",
            "Record type '{0}' is listed more than once in database '{1}'",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("SKV013"));

        public static readonly DiagnosticDescriptor CollectionNameClash = new DiagnosticDescriptor(
            "SKV015",
            "Collection property clashes with a generated member",
            "Collection '{0}' would become property '{1}', which clashes with a member the generator adds to '{2}'; choose another collection name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV015"));

        public static readonly DiagnosticDescriptor KeyNotStored = new DiagnosticDescriptor(
            "SKV016",
            "Key property is not stored",
            "Key property '{0}' is not stored ({1}), so a record read back would lose its key; store it or compute it from stored properties",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV016"));

        public static readonly DiagnosticDescriptor PropertyNotStored = new DiagnosticDescriptor(
            "SKV017",
            "Property is not stored",
            "Property '{0}' of '{1}' is not stored: its setter is not accessible and no constructor parameter matches it, so its value is lost when a record is read back; make the setter public or init, add it to the constructor, or mark it [SkvIgnore]",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("SKV017"));

        public static readonly DiagnosticDescriptor GenericDatabase = new DiagnosticDescriptor(
            "SKV014",
            "Database class cannot be generic",
            "Database class '{0}' cannot be generic; declare it without type parameters (it may be nested in a generic type)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV014"));

        public static readonly DiagnosticDescriptor DuplicateStoredName = new DiagnosticDescriptor(
            "SKV018",
            "Two properties are stored under one name",
            "Properties '{0}' and '{1}' of '{2}' are both stored as \"{3}\", so one would overwrite the other when read back; give one of them another [SkvPropertyName]",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV018"));

        public static readonly DiagnosticDescriptor FieldNotStored = new DiagnosticDescriptor(
            "SKV019",
            "Public field is not stored",
            "Public field '{0}' of '{1}' is not stored (only properties are), so its value is lost when a record is read back; make it a property, or mark it [SkvIgnore]",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true, helpLinkUri: Help("SKV019"));

        public static readonly DiagnosticDescriptor AttributeOnHiddenProperty = new DiagnosticDescriptor(
            "SKV020",
            "Key or index on a property that is not stored",
            "[{0}] on property '{1}' has no effect: the property is {2}, and only public properties with a public getter are stored, keyed and indexed; make it public",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV020"));

        public static readonly DiagnosticDescriptor RequiredMemberNotStored = new DiagnosticDescriptor(
            "SKV021",
            "Required member is not stored",
            "Required member '{0}' of '{1}' is not stored ({2}), so the reader cannot set it; store it, or remove 'required'",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV021"));

        public static readonly DiagnosticDescriptor DatabaseShape = new DiagnosticDescriptor(
            "SKV022",
            "Database class cannot be instantiated by the generated code",
            "Database class '{0}' cannot be {1}: the generator adds instance members and constructors to it; declare it as a plain (optionally sealed) partial class",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV022"));

        public static readonly DiagnosticDescriptor LanguageVersionTooLow = new DiagnosticDescriptor(
            "SKV023",
            "C# 11 or later is required",
            "The generated code for TypedSkv databases needs C# 11 or later (UTF-8 literals); this project uses C# {0}: set <LangVersion> to 11 or later, or remove it",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV023"));

        public static readonly DiagnosticDescriptor GeneratedNameClash = new DiagnosticDescriptor(
            "SKV024",
            "Two collections generate the same member name",
            "Collection '{0}' generates the member '{2}' in '{3}', which collection '{1}' also generates; choose collection names that differ in more than punctuation or a 'Collection' suffix",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV024"));

        public static readonly DiagnosticDescriptor InvalidExtensionData = new DiagnosticDescriptor(
            "SKV025",
            "Invalid [SkvExtensionData] member",
            "[SkvExtensionData] property '{0}' has type '{1}'; it must be Dictionary<string, JsonElement> or IDictionary<string, JsonElement> (nullable allowed) with a setter or constructor parameter, and a type has at most one",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV025"));

        public static readonly DiagnosticDescriptor InvalidConverter = new DiagnosticDescriptor(
            "SKV026",
            "Invalid [SkvConverter]",
            "Converter '{0}' on '{1}' must be a non-abstract class with a public parameterless constructor implementing TypedSkv.ISkvConverter<{2}>",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV026"));

        public static readonly DiagnosticDescriptor PrivateRecordInVisibleDatabase = new DiagnosticDescriptor(
            "SKV027",
            "Private record type in a database that is not private",
            "Record type '{0}' is private, so database class '{1}' must be private too (nested in the same type): its collection property would expose the record type",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV027"));

        public static readonly DiagnosticDescriptor InvalidDerivedType = new DiagnosticDescriptor(
            "SKV028",
            "Invalid [SkvDerivedType]",
            "[SkvDerivedType(typeof({1}), \"{2}\")] on '{0}' is invalid: {3}",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV028"));

        public static readonly DiagnosticDescriptor InvalidStoredName = new DiagnosticDescriptor(
            "SKV029",
            "Stored name is not valid UTF-16",
            "Property '{0}' of '{1}' is stored under a name with an unpaired surrogate, which cannot be written as JSON; fix its [SkvPropertyName]",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true, helpLinkUri: Help("SKV029"));
    }
}
