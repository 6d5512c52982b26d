using System;
using Microsoft.CodeAnalysis;
using TypedSkv.Generators.Helpers;

namespace TypedSkv.Generators.Model
{
    /// <summary>
    /// A diagnostic to report: descriptor, a real source location (so #pragma and editorconfig severities
    /// apply) and message arguments. Kept apart from the specs so source emission does not depend on it.
    /// </summary>
    internal sealed record DiagnosticInfo(DiagnosticDescriptor Descriptor, Location? Location, ImmutableEquatableArray<StringValue> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, Location? location, params string[] arguments)
        {
            var values = new StringValue[arguments.Length];
            for (int i = 0; i < arguments.Length; i++) values[i] = new StringValue(arguments[i]);
            return new DiagnosticInfo(descriptor, location is { IsInSource: true } ? location : null, values.ToImmutableEquatableArray());
        }

        public Diagnostic ToDiagnostic()
        {
            var args = new object[Arguments.Count];
            for (int i = 0; i < args.Length; i++) args[i] = Arguments[i].Value;
            return Diagnostic.Create(Descriptor, Location, args);
        }
    }

    /// <summary>A string usable in <see cref="ImmutableEquatableArray{T}"/>.</summary>
    internal readonly record struct StringValue(string Value) : IEquatable<StringValue>;

    /// <summary>Result of the database transform: the spec to emit (null when it has errors) and its diagnostics.</summary>
    internal sealed record DatabaseResult(
        DatabaseSpec? Spec,
        ImmutableEquatableArray<DiagnosticInfo> Diagnostics,
        ImmutableEquatableArray<StringValue> ListedRecordTypes);

    /// <summary>A [SkvRecord] type found by syntax: what the "not listed" check (SKV007) needs.</summary>
    internal sealed record RecordResult(
        string RecordType,
        string Collection,
        Location? Location);
}
