using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedSkv.Generators.Helpers;
using TypedSkv.Generators.Model;

namespace TypedSkv.Generators
{
    public sealed partial class SkvGenerator
    {
        internal const string RecordAttributeName = "TypedSkv.SkvRecordAttribute";
        internal const string DatabaseAttributeName = "TypedSkv.SkvDatabaseAttribute";
        private const string KeyAttributeName = "TypedSkv.SkvKeyAttribute";
        private const string IndexAttributeName = "TypedSkv.SkvIndexAttribute";
        private const string IgnoreAttributeName = "TypedSkv.SkvIgnoreAttribute";
        private const string PropertyNameAttributeName = "TypedSkv.SkvPropertyNameAttribute";
        private const string ExtensionDataAttributeName = "TypedSkv.SkvExtensionDataAttribute";
        private const string ConverterAttributeName = "TypedSkv.SkvConverterAttribute";
        private const string ConverterInterfaceName = "TypedSkv.ISkvConverter<T>";
        private const string DerivedTypeAttributeName = "TypedSkv.SkvDerivedTypeAttribute";

        /// <summary>
        /// Turns symbols into specs and diagnostics. Lives only inside one transform call: nothing it holds
        /// (symbols, compilation) leaves it except the equatable results.
        /// </summary>
        internal sealed class Parser
        {
            private static readonly SymbolDisplayFormat s_typeFormat = SymbolDisplayFormat.FullyQualifiedFormat
                .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

            private readonly CancellationToken _cancellationToken;
            private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();
            private readonly Dictionary<string, string> _typeIds = new Dictionary<string, string>(StringComparer.Ordinal);
            private readonly Dictionary<string, TypeSpec> _types = new Dictionary<string, TypeSpec>(StringComparer.Ordinal);
            private readonly List<string> _typeOrder = new List<string>();
            private readonly HashSet<string> _usedIds = new HashSet<string>(StringComparer.Ordinal);
            private readonly HashSet<string> _failedTypes = new HashSet<string>(StringComparer.Ordinal);
            /// <summary>Ids of the types some [SkvDerivedType] lists: their writers write "$type".</summary>
            private readonly HashSet<string> _discriminatorWriters = new HashSet<string>(StringComparer.Ordinal);

            public Parser(CancellationToken cancellationToken) => _cancellationToken = cancellationToken;

            public List<DiagnosticInfo> Diagnostics => _diagnostics;

            public bool HasErrors => _diagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);

            // ---------------------------------------------------------------- databases

            public DatabaseResult ParseDatabase(GeneratorAttributeSyntaxContext context)
            {
                var type = (INamedTypeSymbol)context.TargetSymbol;
                var syntax = (TypeDeclarationSyntax)context.TargetNode;
                var listed = new List<StringValue>();
                var dbDiagnostics = new List<DiagnosticInfo>();

                if (!IsPartial(syntax) || !ContainingTypesArePartial(type))
                {
                    dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DatabaseNotPartial, syntax.Identifier.GetLocation(), type.Name));
                }
                if (type.TypeParameters.Length > 0)
                {
                    dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericDatabase, syntax.Identifier.GetLocation(), type.Name));
                }
                string? shape = type.IsStatic ? "static"
                    : type.IsAbstract ? "abstract"
                    : type.DeclaringSyntaxReferences.Select(r => r.GetSyntax(_cancellationToken)).OfType<TypeDeclarationSyntax>().Any(t => t.ParameterList is not null)
                        ? "declared with a primary constructor"
                    : null;
                if (shape is not null)
                {
                    dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DatabaseShape, syntax.Identifier.GetLocation(), type.Name, shape));
                }
                if (syntax.SyntaxTree.Options is CSharpParseOptions { LanguageVersion: var languageVersion } && languageVersion < LanguageVersion.CSharp11)
                {
                    dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.LanguageVersionTooLow, syntax.Identifier.GetLocation(), languageVersion.ToDisplayString()));
                }

                AttributeData attribute = context.Attributes[0];
                var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
                var collections = new List<CollectionSpec>();
                var seenTypes = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
                var byName = new Dictionary<string, string>(StringComparer.Ordinal);
                // every member name the collections generate in the database class -> the collection that generates it
                var generated = new Dictionary<string, string>(StringComparer.Ordinal);
                bool recordErrors = false;
                int schemaVersion = 0;
                foreach (var named in attribute.NamedArguments)
                {
                    if (named.Key == "SchemaVersion" && named.Value.Value is int v) schemaVersion = v;
                }

                var records = attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Kind == TypedConstantKind.Array
                    ? attribute.ConstructorArguments[0].Values
                    : default;
                for (int i = 0; i < (records.IsDefault ? 0 : records.Length); i++)
                {
                    _cancellationToken.ThrowIfCancellationRequested();
                    Location argumentLocation = ArgumentLocation(attributeSyntax, i) ?? syntax.Identifier.GetLocation();
                    if (records[i].Value is not INamedTypeSymbol record || record.TypeKind == TypeKind.Error)
                    {
                        continue;
                    }
                    listed.Add(new StringValue(record.OriginalDefinition.ToDisplayString(s_typeFormat)));
                    if (!seenTypes.Add(record))
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateRecordType, argumentLocation, record.Name, type.Name));
                        continue;
                    }
                    AttributeData? recordAttribute = FindAttribute(record, RecordAttributeName);
                    if (recordAttribute is null)
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotARecordType, argumentLocation, record.ToDisplayString()));
                        continue;
                    }

                    if (EffectiveAccessibility(record) == "private" && EffectiveAccessibility(type) != "private")
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PrivateRecordInVisibleDatabase, argumentLocation, record.ToDisplayString(), type.Name));
                        continue;
                    }

                    int before = _diagnostics.Count;
                    CollectionSpec? collection = ParseRecord(record, recordAttribute);
                    if (collection is null || _diagnostics.Skip(before).Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error))
                    {
                        // Its diagnostics are reported with the database's; the database is not generated.
                        recordErrors = true;
                        continue;
                    }
                    string? reserved = new[] { collection.PropertyName, collection.ClassName }
                        .FirstOrDefault(n => n == type.Name || Array.IndexOf(Emitter.DatabaseMemberNames, n) >= 0);
                    if (reserved is not null)
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.CollectionNameClash, argumentLocation,
                            collection.Name, reserved, type.Name));
                        continue;
                    }
                    if (byName.TryGetValue(collection.Name, out string? first))
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateCollectionName, argumentLocation,
                            first, record.ToDisplayString(), collection.Name, type.Name));
                        continue;
                    }
                    string? clash = new[] { collection.PropertyName, collection.ClassName }.FirstOrDefault(generated.ContainsKey);
                    if (clash is not null)
                    {
                        dbDiagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GeneratedNameClash, argumentLocation,
                            collection.Name, generated[clash], clash, type.Name));
                        continue;
                    }
                    byName[collection.Name] = record.ToDisplayString();
                    generated[collection.PropertyName] = collection.Name;
                    generated[collection.ClassName] = collection.Name;
                    collections.Add(collection);
                }

                bool dbErrors = dbDiagnostics.Any(d => d.Descriptor.DefaultSeverity == DiagnosticSeverity.Error);
                DatabaseSpec? spec = null;
                if (!dbErrors && !recordErrors)
                {
                    var containing = new List<ContainingTypeSpec>();
                    for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                    {
                        string typeParameters = outer.TypeParameters.Length == 0 ? "" : "<" + string.Join(", ", outer.TypeParameters.Select(t => t.Name)) + ">";
                        containing.Insert(0, new ContainingTypeSpec(Keyword(outer), outer.Name, typeParameters));
                    }
                    string? ns = type.ContainingNamespace is { IsGlobalNamespace: false } n ? n.ToDisplayString() : null;
                    string hint = string.Join(".", new[] { ns }.Concat(containing.Select(c => c.Name)).Concat(new[] { type.Name }).Where(s => s is not null)) + ".g.cs";
                    spec = new DatabaseSpec(
                        hint,
                        ns,
                        containing.ToImmutableEquatableArray(),
                        Keyword(type),
                        type.Name,
                        collections.ToImmutableEquatableArray(),
                        _typeOrder.Select(id => _types[id]).ToImmutableEquatableArray(),
                        schemaVersion);
                }
                return new DatabaseResult(spec, _diagnostics.Concat(dbDiagnostics).ToImmutableEquatableArray(), listed.ToImmutableEquatableArray());
            }

            private static bool IsPartial(TypeDeclarationSyntax syntax) => syntax.Modifiers.Any(SyntaxKind.PartialKeyword);

            private bool ContainingTypesArePartial(INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    bool partial = outer.DeclaringSyntaxReferences
                        .Select(r => r.GetSyntax(_cancellationToken))
                        .OfType<TypeDeclarationSyntax>()
                        .Any(IsPartial);
                    if (!partial) return false;
                }
                return true;
            }

            private static string Keyword(INamedTypeSymbol type) =>
                type.IsRecord ? (type.IsValueType ? "record struct" : "record")
                : type.TypeKind == TypeKind.Struct ? "struct"
                : type.TypeKind == TypeKind.Interface ? "interface"
                : "class";

            private static Location? ArgumentLocation(AttributeSyntax? attribute, int index)
            {
                var arguments = attribute?.ArgumentList?.Arguments;
                if (arguments is null || index >= arguments.Value.Count) return null;
                ExpressionSyntax expression = arguments.Value[index].Expression;
                return expression is TypeOfExpressionSyntax typeOf ? typeOf.Type.GetLocation() : expression.GetLocation();
            }

            // ---------------------------------------------------------------- records

            /// <summary>Parses a [SkvRecord] type: collection name, keys, indexes and its serializer types.</summary>
            public CollectionSpec? ParseRecord(INamedTypeSymbol record, AttributeData recordAttribute)
            {
                Location recordLocation = IdentifierLocation(record);
                string? name = recordAttribute.ConstructorArguments.Length == 1 ? recordAttribute.ConstructorArguments[0].Value as string : null;
                bool ok = true;
                if (!IsValidCollectionName(name))
                {
                    var attributeSyntax = recordAttribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken) as AttributeSyntax;
                    Location location = attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault()?.GetLocation() ?? recordLocation;
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidCollectionName, location, name ?? "null"));
                    ok = false;
                }

                // Keys.
                var keys = new List<(int Order, KeyPartSpec Part, IPropertySymbol Property, AttributeData Attribute)>();
                var indexes = new List<IndexSpec>();
                foreach (IPropertySymbol property in StoredPropertyCandidates(record))
                {
                    AttributeData? keyAttribute = FindAttribute(property, KeyAttributeName);
                    if (keyAttribute is not null)
                    {
                        int order = 0;
                        foreach (var named in keyAttribute.NamedArguments)
                        {
                            if (named.Key == "Order" && named.Value.Value is int o) order = o;
                        }
                        var existing = keys.FirstOrDefault(k => k.Order == order);
                        if (existing.Part is not null)
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateKeyOrder,
                                AttributeLocation(keyAttribute) ?? IdentifierLocation(property),
                                existing.Property.Name, property.Name, order.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                            ok = false;
                        }
                        else if (KeyKindOf(property, out bool nullable) is { } kind)
                        {
                            if (nullable)
                            {
                                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NullableKey, IdentifierLocation(property),
                                    property.Name, property.Type.ToDisplayString()));
                                ok = false;
                            }
                            else
                            {
                                string type = property.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_typeFormat);
                                keys.Add((order, new KeyPartSpec(property.Name, ParameterName(property.Name), kind, type), property, keyAttribute));
                            }
                        }
                        else
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedKeyType, IdentifierLocation(property),
                                property.Name, property.Type.ToDisplayString()));
                            ok = false;
                        }
                    }

                    AttributeData? indexAttribute = FindAttribute(property, IndexAttributeName);
                    if (indexAttribute is not null)
                    {
                        bool unique = false;
                        foreach (var named in indexAttribute.NamedArguments)
                        {
                            if (named.Key == "Unique" && named.Value.Value is bool u) unique = u;
                        }
                        if (KeyKindOf(property, out bool nullable) is { } kind)
                        {
                            ITypeSymbol valueType = property.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n
                                ? n.TypeArguments[0]
                                : property.Type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
                            bool canBeNull = nullable || property.Type.IsReferenceType;
                            indexes.Add(new IndexSpec(property.Name, JsonName(property), ParameterName(property.Name), kind, unique, canBeNull,
                                valueType.ToDisplayString(s_typeFormat)));
                        }
                        else
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedIndexType, IdentifierLocation(property),
                                property.Name, property.Type.ToDisplayString()));
                            ok = false;
                        }
                    }
                }
                foreach (IPropertySymbol hidden in AllProperties(record).Except(StoredPropertyCandidates(record), SymbolEqualityComparer.Default).OfType<IPropertySymbol>())
                {
                    foreach (string attributeName in new[] { KeyAttributeName, IndexAttributeName })
                    {
                        if (FindAttribute(hidden, attributeName) is null) continue;
                        string why = hidden.DeclaredAccessibility != Accessibility.Public ? AccessibilityKeyword(hidden.DeclaredAccessibility) : "without a public getter";
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AttributeOnHiddenProperty, IdentifierLocation(hidden),
                            attributeName.Substring("TypedSkv.".Length, attributeName.Length - "TypedSkv.".Length - "Attribute".Length), hidden.Name, why));
                        ok = false;
                    }
                }
                if (keys.Count == 0 && ok)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoKey, recordLocation, record.Name));
                    ok = false;
                }

                string? recordTypeId = ResolveType(record, recordLocation, record.Name);
                if (recordTypeId is not null && _types.TryGetValue(recordTypeId, out TypeSpec? recordSpec))
                {
                    // an abstract record type stores nothing itself: every listed derived type must store the key
                    var storing = recordSpec.IsAbstract && recordSpec.DerivedTypes is { } derivedTypes
                        ? derivedTypes.Select(d => _types.TryGetValue(d.TypeId, out TypeSpec? ds) ? ds : null).ToList()
                        : new List<TypeSpec?> { recordSpec };
                    foreach (var key in keys)
                    {
                        if (storing.All(t => t is not null && t.Members.Any(m => m.Name == key.Property.Name))) continue;
                        string? reason = FindAttribute(key.Property, IgnoreAttributeName) is not null ? "it is marked [SkvIgnore]"
                            : IsAutoProperty(key.Property) ? "it has no setter and no matching constructor parameter"
                            : null; // computed from other properties: fine
                        if (reason is null) continue;
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.KeyNotStored, IdentifierLocation(key.Property), key.Property.Name, reason));
                        ok = false;
                    }
                }
                if (!ok || recordTypeId is null || name is null) return null;

                string propertyName = PascalCase(name);
                return new CollectionSpec(
                    EffectiveAccessibility(record) == "public" ? "public" : "internal",
                    name,
                    propertyName,
                    propertyName + "Collection",
                    record.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(s_typeFormat),
                    recordTypeId,
                    keys.OrderBy(k => k.Order).Select(k => k.Part).ToImmutableEquatableArray(),
                    indexes.ToImmutableEquatableArray());
            }

            internal static bool IsValidCollectionName(string? name)
            {
                if (string.IsNullOrEmpty(name) || !IsAsciiLetter(name![0])) return false;
                foreach (char c in name)
                {
                    if (!(IsAsciiLetter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) return false;
                }
                return true;
            }

            private static bool IsAsciiLetter(char c) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');

            private static KeyKind? KeyKindOf(IPropertySymbol property, out bool nullable)
            {
                ITypeSymbol type = property.Type;
                nullable = false;
                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n)
                {
                    nullable = true;
                    type = n.TypeArguments[0];
                }
                else if (type.NullableAnnotation == NullableAnnotation.Annotated)
                {
                    nullable = true;
                }
                switch (type.SpecialType)
                {
                    case SpecialType.System_String: return KeyKind.String;
                    case SpecialType.System_Int32: return KeyKind.Int32;
                    case SpecialType.System_Int64: return KeyKind.Int64;
                }
                return IsSystemType(type, "Guid") ? KeyKind.Guid : (KeyKind?)null;
            }

            // ---------------------------------------------------------------- types

            /// <summary>
            /// Registers a type's serializer spec (and those of the types it contains); returns its id, or null
            /// when the type cannot be stored (a diagnostic has been added at <paramref name="location"/>).
            /// </summary>
            private string? ResolveType(ITypeSymbol type, Location location, string memberName)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                if (type.IsReferenceType) type = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
                string fullName = type.ToDisplayString(s_typeFormat);
                if (_typeIds.TryGetValue(fullName, out string? known))
                {
                    return _failedTypes.Contains(fullName) ? null : known;
                }

                if (type is INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct } declared && FindAttribute(declared, ConverterAttributeName) is { } typeConverter)
                {
                    return ResolveConverter(typeConverter, type, location, memberName);
                }

                string? primitive = PrimitiveName(type);
                if (primitive is not null)
                {
                    return Register(fullName, primitive, id => new TypeSpec(id, fullName, TypeSpecKind.Primitive, type.IsValueType, primitive,
                        null, null, null, ImmutableEquatableArray<EnumMemberSpec>.Empty, ImmutableEquatableArray<MemberSpec>.Empty,
                        ImmutableEquatableArray<CtorArgSpec>.Empty));
                }

                if (type.TypeKind == TypeKind.Enum && type is INamedTypeSymbol enumType)
                {
                    var members = new List<EnumMemberSpec>();
                    var seen = new HashSet<object>();
                    foreach (IFieldSymbol field in enumType.GetMembers().OfType<IFieldSymbol>())
                    {
                        if (field.HasConstantValue && field.ConstantValue is not null && seen.Add(field.ConstantValue))
                        {
                            members.Add(new EnumMemberSpec(field.Name, Convert.ToString(field.ConstantValue, System.Globalization.CultureInfo.InvariantCulture)!));
                        }
                    }
                    string underlying = enumType.EnumUnderlyingType!.ToDisplayString(s_typeFormat);
                    return Register(fullName, SafeId(type), id => new TypeSpec(id, fullName, TypeSpecKind.Enum, true, null, null, null, underlying,
                        members.ToImmutableEquatableArray(), ImmutableEquatableArray<MemberSpec>.Empty, ImmutableEquatableArray<CtorArgSpec>.Empty));
                }

                if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullableType)
                {
                    string? inner = ResolveType(nullableType.TypeArguments[0], location, memberName);
                    if (inner is null) return null;
                    return Register(fullName, "Nullable_" + inner, id => Container(id, fullName, TypeSpecKind.Nullable, true, inner, nullableType.TypeArguments[0]));
                }

                if (type is IArrayTypeSymbol array)
                {
                    if (array.Rank != 1) return Fail(fullName, location, memberName, type, "multi-dimensional arrays are not supported");
                    string? element = ResolveType(array.ElementType, location, memberName);
                    if (element is null) return null;
                    return Register(fullName, "Array_" + element, id => Container(id, fullName, TypeSpecKind.Array, false, element, array.ElementType));
                }

                if (type is INamedTypeSymbol named && named.IsGenericType)
                {
                    string definition = named.OriginalDefinition.ToDisplayString();
                    switch (definition)
                    {
                        case "System.Collections.Generic.List<T>":
                        case "System.Collections.Generic.IList<T>":
                        case "System.Collections.Generic.ICollection<T>":
                        case "System.Collections.Generic.IEnumerable<T>":
                        case "System.Collections.Generic.IReadOnlyList<T>":
                        case "System.Collections.Generic.IReadOnlyCollection<T>":
                        {
                            string? element = ResolveType(named.TypeArguments[0], location, memberName);
                            if (element is null) return null;
                            return Register(fullName, "List_" + element, id => Container(id, fullName, TypeSpecKind.List, false, element, named.TypeArguments[0]));
                        }
                        case "System.Collections.Generic.HashSet<T>":
                        case "System.Collections.Generic.ISet<T>":
                        case "System.Collections.Generic.IReadOnlySet<T>":
                        {
                            string? element = ResolveType(named.TypeArguments[0], location, memberName);
                            if (element is null) return null;
                            return Register(fullName, "Set_" + element, id => Container(id, fullName, TypeSpecKind.Set, false, element, named.TypeArguments[0]));
                        }
                        case "System.Collections.Immutable.ImmutableArray<T>":
                        {
                            string? element = ResolveType(named.TypeArguments[0], location, memberName);
                            if (element is null) return null;
                            return Register(fullName, "ImmutableArray_" + element, id => Container(id, fullName, TypeSpecKind.ImmutableArray, true, element, named.TypeArguments[0]));
                        }
                        case "System.Collections.Generic.Dictionary<TKey, TValue>":
                        case "System.Collections.Generic.IDictionary<TKey, TValue>":
                        case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>":
                        {
                            if (named.TypeArguments[0].SpecialType != SpecialType.System_String)
                            {
                                return Fail(fullName, location, memberName, type, "dictionaries need string keys");
                            }
                            string? element = ResolveType(named.TypeArguments[1], location, memberName);
                            if (element is null) return null;
                            return Register(fullName, "Dictionary_" + element, id => Container(id, fullName, TypeSpecKind.Dictionary, false, element, named.TypeArguments[1]));
                        }
                    }
                }

                if (type is INamedTypeSymbol objectType && (objectType.TypeKind == TypeKind.Class || objectType.TypeKind == TypeKind.Struct))
                {
                    if (objectType.IsAbstract && objectType.TypeKind == TypeKind.Class && FindAttribute(objectType, DerivedTypeAttributeName) is null)
                        return Fail(fullName, location, memberName, type, "abstract types cannot be created when reading (list the derived types with [SkvDerivedType])");
                    if (IsInSystemNamespace(objectType)) return Fail(fullName, location, memberName, type, SupportedSystemTypes);
                    if (objectType.SpecialType != SpecialType.None) return Fail(fullName, location, memberName, type, "this type has no stored form");
                    return ResolveObject(objectType, fullName, location);
                }

                return Fail(fullName, location, memberName, type, "interfaces, delegates, pointers and type parameters cannot be stored");
            }

            internal const string SupportedSystemTypes =
                "of the System types only DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, Guid, Uri, Half, Int128, UInt128, Nullable<T>, arrays, "
                + "List<T>, HashSet<T>, ImmutableArray<T>, ReadOnlyMemory<byte>, Dictionary<string, T> and their interfaces are supported (or give the property a [SkvConverter])";

            private TypeSpec Container(string id, string fullName, TypeSpecKind kind, bool isValueType, string elementId, ITypeSymbol elementType) =>
                new TypeSpec(id, fullName, kind, isValueType, null, elementId, elementType.ToDisplayString(s_typeFormat), null,
                    ImmutableEquatableArray<EnumMemberSpec>.Empty, ImmutableEquatableArray<MemberSpec>.Empty, ImmutableEquatableArray<CtorArgSpec>.Empty);

            private string? Fail(string fullName, Location location, string memberName, ITypeSymbol type, string reason)
            {
                _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedPropertyType, location, memberName, type.ToDisplayString(), reason));
                return null;
            }

            /// <summary>Gives a type its unique id (method-name suffix) before its spec exists.</summary>
            private string ReserveId(string fullName, string idBase)
            {
                string id = idBase;
                for (int n = 2; _usedIds.Contains(id); n++) id = idBase + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                _usedIds.Add(id);
                _typeIds[fullName] = id;
                return id;
            }

            private void Add(TypeSpec spec)
            {
                if (_discriminatorWriters.Contains(spec.Id)) spec = spec with { WritesDiscriminator = true };
                _types[spec.Id] = spec;
                _typeOrder.Add(spec.Id);
            }

            private string Register(string fullName, string idBase, Func<string, TypeSpec> create)
            {
                string id = ReserveId(fullName, idBase);
                Add(create(id));
                return id;
            }

            private string? ResolveObject(INamedTypeSymbol type, string fullName, Location referenceLocation)
            {
                // Reserve the id first so recursive references (a Node with a List<Node>) resolve to it.
                string id = ReserveId(fullName, SafeId(type));
                bool inSource = type.Locations.Any(l => l.IsInSource);
                var derivedAttributes = type.GetAttributes().Where(a => a.AttributeClass?.ToDisplayString() == DerivedTypeAttributeName).ToList();
                if (type.IsAbstract)
                {
                    // only listed derived types can be created: the type's own reader and writer dispatch to theirs
                    ImmutableEquatableArray<DerivedTypeSpec>? only = ResolveDerivedTypes(type, derivedAttributes, referenceLocation);
                    if (only is null)
                    {
                        _failedTypes.Add(fullName);
                        return null;
                    }
                    Add(new TypeSpec(id, fullName, TypeSpecKind.Object, false, null, null, null, null, ImmutableEquatableArray<EnumMemberSpec>.Empty,
                        ImmutableEquatableArray<MemberSpec>.Empty, ImmutableEquatableArray<CtorArgSpec>.Empty, DerivedTypes: only, IsAbstract: true));
                    return id;
                }

                List<IPropertySymbol> candidates = StoredPropertyCandidates(type).ToList();
                var extension = candidates.Where(p => FindAttribute(p, ExtensionDataAttributeName) is not null).ToList();
                var properties = candidates.Where(p => FindAttribute(p, IgnoreAttributeName) is null && !extension.Contains(p, SymbolEqualityComparer.Default)).ToList();
                var ignored = candidates.Where(p => FindAttribute(p, IgnoreAttributeName) is not null).ToList();
                bool failed = false;

                // The constructor: the accessible one with the most parameters that all match properties.
                IMethodSymbol? constructor = null;
                foreach (IMethodSymbol candidate in type.InstanceConstructors)
                {
                    if (!IsAccessible(candidate.DeclaredAccessibility)) continue;
                    if (candidate.Parameters.Length == 1 && SymbolEqualityComparer.Default.Equals(candidate.Parameters[0].Type, type)) continue;
                    bool matches = candidate.Parameters.All(p =>
                        candidates.Any(m => string.Equals(m.Name, p.Name, StringComparison.OrdinalIgnoreCase)
                            && SymbolEqualityComparer.Default.Equals(m.Type, p.Type)));
                    if (matches && (constructor is null || candidate.Parameters.Length > constructor.Parameters.Length)) constructor = candidate;
                }
                if (constructor is null)
                {
                    _failedTypes.Add(fullName);
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NoUsableConstructor,
                        inSource ? IdentifierLocation(type) : referenceLocation, type.ToDisplayString()));
                    return null;
                }
                bool setsRequired = constructor.GetAttributes().Any(a => a.AttributeClass?.Name == "SetsRequiredMembersAttribute");

                var parameterOf = new Dictionary<IPropertySymbol, IParameterSymbol>(SymbolEqualityComparer.Default);
                foreach (IParameterSymbol parameter in constructor.Parameters)
                {
                    IPropertySymbol? property = candidates.FirstOrDefault(m => string.Equals(m.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                    if (property is not null) parameterOf[property] = parameter;
                }

                // Fields are never stored: a public one would silently lose its value (SKV019), a required one would not compile (SKV021).
                if (inSource)
                {
                    foreach (IFieldSymbol field in MemberChain(type).SelectMany(t => t.GetMembers().OfType<IFieldSymbol>()))
                    {
                        if (field.IsStatic || field.IsConst || field.IsImplicitlyDeclared || field.DeclaredAccessibility != Accessibility.Public) continue;
                        if (field.IsRequired && !setsRequired)
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredMemberNotStored, IdentifierLocation(field), field.Name, type.Name, "it is a field; only properties are stored"));
                            failed = true;
                        }
                        else if (FindAttribute(field, IgnoreAttributeName) is null && field.Locations.Any(l => l.IsInSource))
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.FieldNotStored, IdentifierLocation(field), field.Name, type.Name));
                        }
                    }
                }
                foreach (IPropertySymbol property in ignored)
                {
                    if (property.IsRequired && !setsRequired && !parameterOf.ContainsKey(property))
                    {
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredMemberNotStored, IdentifierLocation(property), property.Name, type.Name, "it is marked [SkvIgnore]"));
                        failed = true;
                    }
                }

                ExtensionDataSpec? extensionData = null;
                foreach (IPropertySymbol property in extension)
                {
                    bool settable = property.SetMethod is { } set && IsAccessible(set.DeclaredAccessibility);
                    bool inConstructor = parameterOf.ContainsKey(property);
                    if (extensionData is not null || !IsExtensionDataType(property.Type) || !(settable || inConstructor))
                    {
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidExtensionData, IdentifierLocation(property), property.Name, property.Type.ToDisplayString()));
                        failed = true;
                        continue;
                    }
                    extensionData = new ExtensionDataSpec(property.Name, !inConstructor, property.Type.NullableAnnotation == NullableAnnotation.Annotated);
                }

                var members = new List<MemberSpec>();
                var ctorArgs = new List<CtorArgSpec>();
                var byJsonName = new Dictionary<string, IPropertySymbol>(StringComparer.Ordinal);
                foreach (IPropertySymbol property in properties)
                {
                    bool inConstructor = parameterOf.TryGetValue(property, out IParameterSymbol? parameter);
                    bool settable = property.SetMethod is { } set && IsAccessible(set.DeclaredAccessibility);
                    if (!inConstructor && !settable)
                    {
                        if (property.IsRequired && !setsRequired)
                        {
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.RequiredMemberNotStored, IdentifierLocation(property), property.Name, type.Name, "its setter is not accessible"));
                            failed = true;
                            continue;
                        }
                        // computed or get-only: cannot be read back, so not stored; but data behind a setter the
                        // reader cannot call would be lost silently on every round trip: say so
                        if (property.SetMethod is not null && IsAutoProperty(property) && property.Locations.Any(l => l.IsInSource))
                            _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.PropertyNotStored, IdentifierLocation(property), property.Name, type.Name));
                        continue;
                    }

                    Location location = property.Locations.FirstOrDefault(l => l.IsInSource) is not null ? IdentifierLocation(property) : referenceLocation;
                    string jsonName = JsonName(property);
                    if (HasUnpairedSurrogate(jsonName))
                    {
                        // SkvJsonMembers pre-encodes the names (JsonEncodedText): it would throw when the codec is first used
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidStoredName, location, property.Name, type.Name));
                        failed = true;
                        continue;
                    }
                    if (byJsonName.TryGetValue(jsonName, out IPropertySymbol? same))
                    {
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateStoredName, location, same.Name, property.Name, type.Name, jsonName));
                        failed = true;
                        continue;
                    }
                    byJsonName[jsonName] = property;
                    string? typeId = FindAttribute(property, ConverterAttributeName) is { } converter
                        ? ResolveConverter(converter, property.Type, location, property.Name)
                        : ResolveType(property.Type, location, property.Name);
                    if (typeId is null)
                    {
                        failed = true;
                        continue;
                    }
                    string declared = property.Type.ToDisplayString(s_typeFormat);
                    string defaultValue = inConstructor && parameter!.HasExplicitDefaultValue
                        ? Literal(parameter.ExplicitDefaultValue, property.Type)
                        : MissingValue(property.Type);
                    members.Add(new MemberSpec(property.Name, jsonName, typeId, declared, property.Type.IsValueType, !inConstructor, defaultValue));
                }
                if (failed)
                {
                    _failedTypes.Add(fullName);
                    return null;
                }

                foreach (IParameterSymbol parameter in constructor.Parameters)
                {
                    int index = members.FindIndex(m => string.Equals(m.Name, parameter.Name, StringComparison.OrdinalIgnoreCase));
                    if (index < 0 && extensionData is not null && string.Equals(extensionData.Name, parameter.Name, StringComparison.OrdinalIgnoreCase)) index = CtorArgSpec.ExtensionData;
                    string fallback = parameter.HasExplicitDefaultValue ? Literal(parameter.ExplicitDefaultValue, parameter.Type) : MissingValue(parameter.Type);
                    ctorArgs.Add(new CtorArgSpec(index, fallback));
                }

                ImmutableEquatableArray<DerivedTypeSpec>? derived = null;
                if (derivedAttributes.Count > 0)
                {
                    derived = ResolveDerivedTypes(type, derivedAttributes, referenceLocation);
                    if (derived is null)
                    {
                        _failedTypes.Add(fullName);
                        return null;
                    }
                }

                Add(new TypeSpec(id, fullName, TypeSpecKind.Object, type.IsValueType, null, null, null, null,
                    ImmutableEquatableArray<EnumMemberSpec>.Empty, members.ToImmutableEquatableArray(), ctorArgs.ToImmutableEquatableArray(),
                    KeepInitializerDefaults: members.Any(m => m.InitializerSet) && !properties.Any(p => p.IsRequired),
                    CheckExactType: !type.IsValueType && !type.IsSealed,
                    ExtensionData: extensionData,
                    DerivedTypes: derived));
                return id;
            }

            /// <summary>
            /// The [SkvDerivedType] list of <paramref name="type"/>, checked (SKV028) and resolved, most-derived first; null
            /// after a diagnostic. An abstract type must list at least one.
            /// </summary>
            private ImmutableEquatableArray<DerivedTypeSpec>? ResolveDerivedTypes(INamedTypeSymbol type, List<AttributeData> attributes, Location referenceLocation)
            {
                var resolved = new List<(DerivedTypeSpec Spec, int Depth)>();
                var discriminators = new HashSet<string>(StringComparer.Ordinal);
                var seen = new HashSet<ITypeSymbol>(SymbolEqualityComparer.Default);
                bool failed = false;
                foreach (AttributeData attribute in attributes)
                {
                    var derived = attribute.ConstructorArguments.Length == 2 ? attribute.ConstructorArguments[0].Value as INamedTypeSymbol : null;
                    string discriminator = attribute.ConstructorArguments.Length == 2 ? attribute.ConstructorArguments[1].Value as string ?? "" : "";
                    string? problem =
                        type.IsSealed || type.TypeKind != TypeKind.Class ? "the annotated type must be a class that is not sealed"
                        : derived is null ? "the derived type is missing"
                        : derived.TypeKind != TypeKind.Class || derived.IsAbstract || derived.IsUnboundGenericType ? "the derived type must be a non-abstract class (a closed generic type is fine)"
                        : !DerivesFrom(derived, type) ? $"'{derived.Name}' does not derive from '{type.Name}'"
                        : EffectiveAccessibility(derived) == "private" ? "the derived type must be public or internal (the generated code creates it)"
                        : FindAttribute(derived, DerivedTypeAttributeName) is not null ? $"'{derived.Name}' has its own [SkvDerivedType] list; list every derived type on '{type.Name}' instead"
                        : discriminator.Length == 0 ? "the discriminator is empty"
                        : !discriminators.Add(discriminator) ? "another derived type of '" + type.Name + "' has this discriminator"
                        : !seen.Add(derived) ? "the derived type is listed twice"
                        : null;
                    if (problem is not null)
                    {
                        _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedType, AttributeLocation(attribute) ?? referenceLocation,
                            type.Name, derived?.ToDisplayString() ?? "?", discriminator, problem));
                        failed = true;
                        continue;
                    }
                    string derivedName = derived!.ToDisplayString(s_typeFormat);
                    string? typeId = _typeIds.TryGetValue(derivedName, out string? known) ? (_failedTypes.Contains(derivedName) ? null : known)
                        : ResolveObject(derived, derivedName, AttributeLocation(attribute) ?? referenceLocation);
                    if (typeId is null)
                    {
                        failed = true;
                        continue;
                    }
                    _discriminatorWriters.Add(typeId);
                    if (_types.TryGetValue(typeId, out TypeSpec? spec)) _types[typeId] = spec with { WritesDiscriminator = true };
                    int depth = 0;
                    for (INamedTypeSymbol? t = derived.BaseType; t is not null; t = t.BaseType) depth++;
                    resolved.Add((new DerivedTypeSpec(discriminator, typeId, derivedName), depth));
                }
                if (!failed && resolved.Count == 0)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidDerivedType, IdentifierLocation(type), type.Name, "?", "",
                        "an abstract type needs at least one [SkvDerivedType] to be stored"));
                    failed = true;
                }
                // most-derived first (stable), so the writer's type tests pick the closest listed type
                return failed ? null : resolved.Select((r, i) => (r, i)).OrderByDescending(x => x.r.Depth).ThenBy(x => x.i).Select(x => x.r.Spec).ToImmutableEquatableArray();
            }

            private static bool DerivesFrom(INamedTypeSymbol derived, INamedTypeSymbol type)
            {
                for (INamedTypeSymbol? t = derived.BaseType; t is not null; t = t.BaseType)
                {
                    if (SymbolEqualityComparer.Default.Equals(t, type)) return true;
                }
                return false;
            }

            private static bool IsExtensionDataType(ITypeSymbol type) =>
                type is INamedTypeSymbol { IsGenericType: true } named
                && named.OriginalDefinition.ToDisplayString() is "System.Collections.Generic.Dictionary<TKey, TValue>" or "System.Collections.Generic.IDictionary<TKey, TValue>"
                && named.TypeArguments[0].SpecialType == SpecialType.System_String
                && named.TypeArguments[1].ToDisplayString() == "System.Text.Json.JsonElement";

            /// <summary>A value stored by a [SkvConverter]: checks the converter and registers its spec.</summary>
            private string? ResolveConverter(AttributeData attribute, ITypeSymbol valueType, Location location, string memberName)
            {
                if (valueType.IsReferenceType) valueType = valueType.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
                var converter = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as INamedTypeSymbol : null;
                string valueName = valueType.ToDisplayString(s_typeFormat);
                bool valid = converter is { TypeKind: TypeKind.Class, IsAbstract: false, IsGenericType: false }
                    && converter.InstanceConstructors.Any(c => c.Parameters.Length == 0 && c.DeclaredAccessibility == Accessibility.Public)
                    && converter.AllInterfaces.Any(i => i.OriginalDefinition.ToDisplayString() == ConverterInterfaceName
                        && SymbolEqualityComparer.Default.Equals(i.TypeArguments[0].WithNullableAnnotation(NullableAnnotation.NotAnnotated), valueType.WithNullableAnnotation(NullableAnnotation.NotAnnotated)));
                if (!valid)
                {
                    _diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidConverter, AttributeLocation(attribute) ?? location,
                        converter?.ToDisplayString() ?? "?", memberName, valueType.ToDisplayString()));
                    return null;
                }
                string converterName = converter!.ToDisplayString(s_typeFormat);
                string key = "converter:" + converterName + "|" + valueName;
                if (_typeIds.TryGetValue(key, out string? known)) return known;
                return Register(key, "Converter_" + SafeId(converter), id => new TypeSpec(id, valueName, TypeSpecKind.Converter, valueType.IsValueType, converterName,
                    null, null, null, ImmutableEquatableArray<EnumMemberSpec>.Empty, ImmutableEquatableArray<MemberSpec>.Empty, ImmutableEquatableArray<CtorArgSpec>.Empty));
            }

            /// <summary>The type and its base types (object and ValueType excluded), base first.</summary>
            private static List<INamedTypeSymbol> MemberChain(INamedTypeSymbol type)
            {
                var chain = new List<INamedTypeSymbol>();
                for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
                {
                    chain.Insert(0, t);
                }
                return chain;
            }

            /// <summary>Every instance non-indexer property of the type and its bases, whatever its accessibility.</summary>
            private static IEnumerable<IPropertySymbol> AllProperties(INamedTypeSymbol type) =>
                MemberChain(type).SelectMany(t => t.GetMembers().OfType<IPropertySymbol>()).Where(p => !p.IsStatic && !p.IsIndexer);

            private static string AccessibilityKeyword(Accessibility accessibility) => accessibility switch
            {
                Accessibility.Private => "private",
                Accessibility.Internal => "internal",
                Accessibility.Protected => "protected",
                Accessibility.ProtectedOrInternal => "protected internal",
                Accessibility.ProtectedAndInternal => "private protected",
                _ => "not public",
            };

            /// <summary>Public instance non-indexer properties with a public getter, base type's first.</summary>
            private static IEnumerable<IPropertySymbol> StoredPropertyCandidates(INamedTypeSymbol type)
            {
                var chain = new List<INamedTypeSymbol>();
                for (INamedTypeSymbol? t = type; t is not null && t.SpecialType != SpecialType.System_Object && t.SpecialType != SpecialType.System_ValueType; t = t.BaseType)
                {
                    chain.Insert(0, t);
                }
                var result = new List<IPropertySymbol>();
                foreach (INamedTypeSymbol t in chain)
                {
                    foreach (IPropertySymbol property in t.GetMembers().OfType<IPropertySymbol>())
                    {
                        if (property.IsStatic || property.IsIndexer || property.DeclaredAccessibility != Accessibility.Public) continue;
                        if (property.GetMethod is null || property.GetMethod.DeclaredAccessibility != Accessibility.Public) continue;
                        int existing = result.FindIndex(p => p.Name == property.Name);
                        if (existing >= 0) result[existing] = property;
                        else result.Add(property);
                    }
                }
                return result;
            }

            /// <summary>The accessibility the record's collection class and property get: no more visible than the record type.</summary>
            private static string EffectiveAccessibility(INamedTypeSymbol type)
            {
                string result = "public";
                for (INamedTypeSymbol? t = type; t is not null; t = t.ContainingType)
                {
                    switch (t.DeclaredAccessibility)
                    {
                        case Accessibility.Public: break;
                        case Accessibility.Internal:
                        case Accessibility.ProtectedOrInternal: result = "internal"; break;
                        default: return "private";
                    }
                }
                return result;
            }

            private static bool IsAutoProperty(IPropertySymbol property) =>
                property.ContainingType.GetMembers().OfType<IFieldSymbol>()
                    .Any(f => SymbolEqualityComparer.Default.Equals(f.AssociatedSymbol, property));

            private static bool IsAccessible(Accessibility accessibility) =>
                accessibility == Accessibility.Public || accessibility == Accessibility.Internal || accessibility == Accessibility.ProtectedOrInternal;

            private static string? PrimitiveName(ITypeSymbol type)
            {
                switch (type.SpecialType)
                {
                    case SpecialType.System_Boolean: return "Boolean";
                    case SpecialType.System_Byte: return "Byte";
                    case SpecialType.System_SByte: return "SByte";
                    case SpecialType.System_Int16: return "Int16";
                    case SpecialType.System_UInt16: return "UInt16";
                    case SpecialType.System_Int32: return "Int32";
                    case SpecialType.System_UInt32: return "UInt32";
                    case SpecialType.System_Int64: return "Int64";
                    case SpecialType.System_UInt64: return "UInt64";
                    case SpecialType.System_Single: return "Single";
                    case SpecialType.System_Double: return "Double";
                    case SpecialType.System_Decimal: return "Decimal";
                    case SpecialType.System_Char: return "Char";
                    case SpecialType.System_String: return "String";
                    case SpecialType.System_DateTime: return "DateTime";
                }
                if (type is IArrayTypeSymbol { Rank: 1, ElementType.SpecialType: SpecialType.System_Byte }) return "Bytes";
                if (type is INamedTypeSymbol { IsGenericType: true } memory && memory.OriginalDefinition.ToDisplayString() == "System.ReadOnlyMemory<T>"
                    && memory.TypeArguments[0].SpecialType == SpecialType.System_Byte) return "Memory";
                foreach (string name in new[] { "DateTimeOffset", "Guid", "TimeSpan", "DateOnly", "TimeOnly", "Half", "Int128", "UInt128", "Uri" })
                {
                    if (IsSystemType(type, name)) return name;
                }
                return null;
            }

            private static bool IsSystemType(ITypeSymbol type, string name) =>
                type.Name == name && type.ContainingNamespace is { Name: "System", ContainingNamespace.IsGlobalNamespace: true };

            private static bool IsInSystemNamespace(ITypeSymbol type)
            {
                INamespaceSymbol? ns = type.ContainingNamespace;
                while (ns is { ContainingNamespace.IsGlobalNamespace: false }) ns = ns.ContainingNamespace;
                return ns is { Name: "System" } || ns is { Name: "Microsoft" };
            }

            // ---------------------------------------------------------------- names and helpers

            private static AttributeData? FindAttribute(ISymbol symbol, string fullName)
            {
                foreach (AttributeData attribute in symbol.GetAttributes())
                {
                    if (attribute.AttributeClass?.ToDisplayString() == fullName) return attribute;
                }
                return null;
            }

            private Location? AttributeLocation(AttributeData attribute) =>
                attribute.ApplicationSyntaxReference?.GetSyntax(_cancellationToken).GetLocation();

            private Location IdentifierLocation(ISymbol symbol)
            {
                foreach (SyntaxReference reference in symbol.DeclaringSyntaxReferences)
                {
                    SyntaxNode node = reference.GetSyntax(_cancellationToken);
                    switch (node)
                    {
                        case BaseTypeDeclarationSyntax t: return t.Identifier.GetLocation();
                        case PropertyDeclarationSyntax p: return p.Identifier.GetLocation();
                        case VariableDeclaratorSyntax v: return v.Identifier.GetLocation();
                        case ParameterSyntax p: return p.Identifier.GetLocation();
                    }
                    return node.GetLocation();
                }
                return symbol.Locations.FirstOrDefault() ?? Location.None;
            }

            private static bool HasUnpairedSurrogate(string text)
            {
                for (int i = 0; i < text.Length; i++)
                {
                    if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
                    else if (char.IsSurrogate(text[i])) return true;
                }
                return false;
            }

            private static string JsonName(IPropertySymbol property)
            {
                AttributeData? attribute = FindAttribute(property, PropertyNameAttributeName);
                if (attribute is { ConstructorArguments.Length: 1 } && attribute.ConstructorArguments[0].Value is string name && name.Length > 0) return name;
                return CamelCase(property.Name);
            }

            /// <summary>"Name" -> "name", "ID" -> "id", "URLValue" -> "urlValue" (as System.Text.Json's camel case).</summary>
            internal static string CamelCase(string name)
            {
                if (name.Length == 0 || !char.IsUpper(name[0])) return name;
                char[] chars = name.ToCharArray();
                for (int i = 0; i < chars.Length; i++)
                {
                    if (i == 1 && !char.IsUpper(chars[i])) break;
                    bool hasNext = i + 1 < chars.Length;
                    if (i > 0 && hasNext && !char.IsUpper(chars[i + 1]))
                    {
                        if (chars[i + 1] == ' ') chars[i] = char.ToLowerInvariant(chars[i]);
                        break;
                    }
                    chars[i] = char.ToLowerInvariant(chars[i]);
                }
                return new string(chars);
            }

            internal static string PascalCase(string name)
            {
                var sb = new StringBuilder();
                bool upper = true;
                foreach (char c in name)
                {
                    if (!char.IsLetterOrDigit(c))
                    {
                        upper = true;
                        continue;
                    }
                    sb.Append(upper ? char.ToUpperInvariant(c) : c);
                    upper = false;
                }
                return sb.ToString();
            }

            private static string ParameterName(string member)
            {
                string name = CamelCase(member);
                return SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;
            }

            private static string SafeId(ITypeSymbol type)
            {
                string display = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
                var sb = new StringBuilder(display.Length);
                foreach (char c in display) sb.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
                return sb.ToString();
            }

            /// <summary>
            /// The value a member missing from the JSON gets: "" for a non-nullable string and an empty collection
            /// for a non-nullable array, list or dictionary (so data written before the member existed does not
            /// put null where the type says it cannot be), otherwise default.
            /// </summary>
            private static string MissingValue(ITypeSymbol type)
            {
                if (type.NullableAnnotation != NullableAnnotation.NotAnnotated) return "default";
                if (type.SpecialType == SpecialType.System_String) return "\"\"";
                if (type is IArrayTypeSymbol { Rank: 1 } array)
                {
                    return "global::System.Array.Empty<" + array.ElementType.ToDisplayString(s_typeFormat) + ">()";
                }
                if (type is INamedTypeSymbol { IsGenericType: true } named)
                {
                    switch (named.OriginalDefinition.ToDisplayString())
                    {
                        case "System.Collections.Generic.List<T>":
                        case "System.Collections.Generic.IList<T>":
                        case "System.Collections.Generic.ICollection<T>":
                        case "System.Collections.Generic.IEnumerable<T>":
                        case "System.Collections.Generic.IReadOnlyList<T>":
                        case "System.Collections.Generic.IReadOnlyCollection<T>":
                            return "new global::System.Collections.Generic.List<" + named.TypeArguments[0].ToDisplayString(s_typeFormat) + ">()";
                        case "System.Collections.Generic.HashSet<T>":
                        case "System.Collections.Generic.ISet<T>":
                        case "System.Collections.Generic.IReadOnlySet<T>":
                            return "new global::System.Collections.Generic.HashSet<" + named.TypeArguments[0].ToDisplayString(s_typeFormat) + ">()";
                        case "System.Collections.Immutable.ImmutableArray<T>":
                            return "global::System.Collections.Immutable.ImmutableArray<" + named.TypeArguments[0].ToDisplayString(s_typeFormat) + ">.Empty";
                        case "System.Collections.Generic.Dictionary<TKey, TValue>":
                        case "System.Collections.Generic.IDictionary<TKey, TValue>":
                        case "System.Collections.Generic.IReadOnlyDictionary<TKey, TValue>":
                            return "new global::System.Collections.Generic.Dictionary<string, " + named.TypeArguments[1].ToDisplayString(s_typeFormat) + ">()";
                    }
                }
                return "default";
            }

            private static string Literal(object? value, ITypeSymbol type)
            {
                if (value is null) return type.IsValueType && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T ? "default" : "null";
                string text = SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
                if (value is string || value is bool || value is char) return text;
                return "(" + type.ToDisplayString(s_typeFormat) + ")(" + text + (value is float ? "F" : value is decimal ? "M" : value is double ? "D" : "") + ")";
            }
        }
    }
}
