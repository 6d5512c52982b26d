using Microsoft.CodeAnalysis;

namespace TypedSkv.Generators
{
    /// <summary>Every diagnostic the generator reports. IDs are stable; see AnalyzerReleases.*.md.</summary>
    internal static class DiagnosticDescriptors
    {
        private const string Category = "TypedSkv";

        public static readonly DiagnosticDescriptor NoKey = new DiagnosticDescriptor(
            "SKV001",
            "Record type has no key",
            "Record type '{0}' has no property marked [SkvKey]; mark the property that identifies a record (several, with Order, for a composite key)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedKeyType = new DiagnosticDescriptor(
            "SKV002",
            "Unsupported key type",
            "Key property '{0}' has type '{1}'; a key part must be string, int, long or Guid",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedPropertyType = new DiagnosticDescriptor(
            "SKV003",
            "Unsupported property type",
            "Property '{0}' has type '{1}', which TypedSkv cannot store: {2}; change its type or mark it [SkvIgnore]",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateCollectionName = new DiagnosticDescriptor(
            "SKV004",
            "Duplicate collection name",
            "'{0}' and '{1}' both use collection '{2}' in database '{3}'; each record type needs its own collection name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DatabaseNotPartial = new DiagnosticDescriptor(
            "SKV005",
            "Database class must be partial",
            "Database class '{0}' must be declared partial (and so must every type it is nested in) so the generator can add its members",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NullableKey = new DiagnosticDescriptor(
            "SKV006",
            "Key property can be null",
            "Key property '{0}' has nullable type '{1}'; keys cannot be null, make it non-nullable",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor RecordNotListed = new DiagnosticDescriptor(
            "SKV007",
            "Record type is not in any database",
            "Record type '{0}' (collection '{1}') is not listed in any [SkvDatabase]; no accessors are generated for it",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NotARecordType = new DiagnosticDescriptor(
            "SKV008",
            "Listed type is not a record type",
            "'{0}' is listed in [SkvDatabase] but has no [SkvRecord(\"collection\")] attribute",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor InvalidCollectionName = new DiagnosticDescriptor(
            "SKV009",
            "Invalid collection name",
            "Collection name '{0}' is invalid: it must start with a letter and contain only letters, digits, '_', '-' or '.' ('/' and '#' separate keys)",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateKeyOrder = new DiagnosticDescriptor(
            "SKV010",
            "Two key parts have the same Order",
            "Key properties '{0}' and '{1}' both have Order = {2}; give each part of a composite key a distinct Order",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor UnsupportedIndexType = new DiagnosticDescriptor(
            "SKV011",
            "Unsupported index type",
            "Index on property '{0}' of type '{1}' is not supported; an indexed property must be string, int, long, Guid or a nullable of these",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor NoUsableConstructor = new DiagnosticDescriptor(
            "SKV012",
            "No constructor to read the type back",
            "Type '{0}' has no accessible constructor whose parameters all match properties by name and type, and no parameterless one; add one so stored values can be read back",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor DuplicateRecordType = new DiagnosticDescriptor(
            "SKV013",
            "Record type listed twice",
            "Record type '{0}' is listed more than once in database '{1}'",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor CollectionNameClash = new DiagnosticDescriptor(
            "SKV015",
            "Collection property clashes with a generated member",
            "Collection '{0}' would become property '{1}', which clashes with a member the generator adds to '{2}'; choose another collection name",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor KeyNotStored = new DiagnosticDescriptor(
            "SKV016",
            "Key property is not stored",
            "Key property '{0}' is not stored ({1}), so a record read back would lose its key; store it or compute it from stored properties",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor PropertyNotStored = new DiagnosticDescriptor(
            "SKV017",
            "Property is not stored",
            "Property '{0}' of '{1}' is not stored: its setter is not accessible and no constructor parameter matches it, so its value is lost when a record is read back; make the setter public or init, add it to the constructor, or mark it [SkvIgnore]",
            Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

        public static readonly DiagnosticDescriptor GenericDatabase = new DiagnosticDescriptor(
            "SKV014",
            "Database class cannot be generic",
            "Database class '{0}' cannot be generic",
            Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
    }
}
