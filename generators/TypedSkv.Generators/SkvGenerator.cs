using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using TypedSkv.Generators.Helpers;
using TypedSkv.Generators.Model;

namespace TypedSkv.Generators
{
    /// <summary>
    /// Generates typed accessors for [SkvDatabase] classes over their [SkvRecord] types: a collection class per
    /// record with key encoding, index maintenance and Utf8JsonWriter/Utf8JsonReader serializers.
    /// </summary>
    /// <remarks>
    /// Pipeline: ForAttributeWithMetadataName -> parse into an equatable spec plus diagnostics -> emit source
    /// from the spec alone; diagnostics are reported on their own outputs.
    /// </remarks>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class SkvGenerator : IIncrementalGenerator
    {
        /// <summary>Tracking names of the pipeline steps (for incrementality tests).</summary>
        internal static class StepNames
        {
            public const string Database = nameof(Database);
            public const string DatabaseSpec = nameof(DatabaseSpec);
            public const string Record = nameof(Record);
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<DatabaseResult> databases = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    DatabaseAttributeName,
                    static (node, _) => node is ClassDeclarationSyntax || node is RecordDeclarationSyntax,
                    static (ctx, ct) => new Parser(ct).ParseDatabase(ctx))
                .WithTrackingName(StepNames.Database);

            IncrementalValuesProvider<RecordResult> records = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    RecordAttributeName,
                    static (node, _) => node is ClassDeclarationSyntax || node is RecordDeclarationSyntax,
                    static (ctx, ct) => ParseRecordForDiagnostics(ctx, ct))
                .WithTrackingName(StepNames.Record);

            IncrementalValuesProvider<DatabaseSpec> specs = databases
                .Select(static (result, _) => result.Spec)
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .WithTrackingName(StepNames.DatabaseSpec);

            context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, Emitter.Emit(spec)));

            context.RegisterSourceOutput(databases.Select(static (r, _) => r.Diagnostics), ReportDiagnostics);
            // Records are parsed one by one, so a problem in a nested type that two records use is found twice:
            // report each distinct diagnostic once.
            context.RegisterSourceOutput(records.Select(static (r, _) => r.Diagnostics).Collect(), static (spc, all) =>
            {
                var seen = new HashSet<DiagnosticInfo>();
                foreach (DiagnosticInfo diagnostic in all.SelectMany(d => d))
                {
                    if (seen.Add(diagnostic)) spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            });

            IncrementalValueProvider<(ImmutableArray<RecordResult> Records, ImmutableArray<ImmutableEquatableArray<StringValue>> Listed)> listing =
                records.Collect().Combine(databases.Select(static (r, _) => r.ListedRecordTypes).Collect());
            context.RegisterSourceOutput(listing, static (spc, input) =>
            {
                var listed = new HashSet<string>(input.Listed.SelectMany(l => l).Select(s => s.Value));
                foreach (RecordResult record in input.Records)
                {
                    if (!listed.Contains(record.RecordType) && Parser.IsValidCollectionName(record.Collection))
                    {
                        spc.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.RecordNotListed, record.Location,
                            record.RecordType.Replace("global::", ""), record.Collection));
                    }
                }
            });
        }

        private static void ReportDiagnostics(SourceProductionContext context, ImmutableEquatableArray<DiagnosticInfo> diagnostics)
        {
            foreach (DiagnosticInfo diagnostic in diagnostics) context.ReportDiagnostic(diagnostic.ToDiagnostic());
        }

        private static RecordResult ParseRecordForDiagnostics(GeneratorAttributeSyntaxContext context, System.Threading.CancellationToken ct)
        {
            var type = (INamedTypeSymbol)context.TargetSymbol;
            var parser = new Parser(ct);
            // A generic record is checked where a database lists it closed (Box<string>): its definition has type parameters
            CollectionSpec? spec = type.TypeParameters.Length == 0 ? parser.ParseRecord(type, context.Attributes[0]) : null;
            string collection = context.Attributes[0].ConstructorArguments.Length == 1 ? context.Attributes[0].ConstructorArguments[0].Value as string ?? "" : "";
            var syntax = (TypeDeclarationSyntax)context.TargetNode;
            return new RecordResult(
                spec?.RecordType ?? type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier)),
                collection,
                syntax.Identifier.GetLocation(),
                parser.Diagnostics.ToImmutableEquatableArray());
        }
    }
}
