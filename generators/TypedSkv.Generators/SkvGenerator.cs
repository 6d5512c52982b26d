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

            // [SkvRecord] types are found from syntax alone, per syntax tree: the step re-runs only for trees that changed,
            // so an edit elsewhere re-reads no record. Their members are checked where a database lists them.
            IncrementalValuesProvider<RecordResult> records = context.CompilationProvider
                .SelectMany(static (compilation, _) => compilation.SyntaxTrees)
                .Select(static (tree, ct) => FindRecords(tree, ct))
                .WithTrackingName(StepNames.Record)
                .SelectMany(static (found, _) => found);

            IncrementalValuesProvider<DatabaseSpec> specs = databases
                .Select(static (result, _) => result.Spec)
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .WithTrackingName(StepNames.DatabaseSpec);

            context.RegisterSourceOutput(specs, static (spc, spec) => spc.AddSource(spec.HintName, Emitter.Emit(spec)));

            // A record (or a nested type) listed by two databases is checked twice: report each distinct diagnostic once.
            context.RegisterSourceOutput(databases.Select(static (r, _) => r.Diagnostics).Collect(), static (spc, all) =>
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

        /// <summary>The [SkvRecord] types declared in one syntax tree, by syntax (name, collection literal, location).</summary>
        private static ImmutableEquatableArray<RecordResult> FindRecords(SyntaxTree tree, System.Threading.CancellationToken ct)
        {
            var found = new List<RecordResult>();
            foreach (TypeDeclarationSyntax type in tree.GetRoot(ct).DescendantNodes(n => n is CompilationUnitSyntax || n is BaseNamespaceDeclarationSyntax || n is TypeDeclarationSyntax)
                .OfType<TypeDeclarationSyntax>())
            {
                AttributeSyntax? attribute = type.AttributeLists.SelectMany(l => l.Attributes).FirstOrDefault(a => IsRecordAttributeName(a.Name));
                if (attribute is null) continue;
                string collection = attribute.ArgumentList?.Arguments.FirstOrDefault()?.Expression is LiteralExpressionSyntax literal
                    && literal.Token.Value is string text ? text : "";
                found.Add(new RecordResult(SyntaxTypeName(type), collection, type.Identifier.GetLocation()));
            }
            return found.ToImmutableEquatableArray();
        }

        private static bool IsRecordAttributeName(NameSyntax name)
        {
            string last = name switch
            {
                QualifiedNameSyntax q => q.Right.Identifier.ValueText,
                AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
                SimpleNameSyntax simple => simple.Identifier.ValueText,
                _ => "",
            };
            return last == "SkvRecord" || last == "SkvRecordAttribute";
        }

        /// <summary>"global::Ns.Outer.Name&lt;T&gt;", as the database's listing names the type's definition.</summary>
        private static string SyntaxTypeName(TypeDeclarationSyntax type)
        {
            var parts = new List<string>();
            for (SyntaxNode? node = type; node is not null; node = node.Parent)
            {
                switch (node)
                {
                    case TypeDeclarationSyntax t:
                        parts.Insert(0, t.Identifier.ValueText + (t.TypeParameterList is { } tp ? "<" + string.Join(", ", tp.Parameters.Select(p => p.Identifier.ValueText)) + ">" : ""));
                        break;
                    case BaseNamespaceDeclarationSyntax ns:
                        parts.Insert(0, ns.Name.ToString());
                        break;
                }
            }
            return "global::" + string.Join(".", parts);
        }
    }
}
