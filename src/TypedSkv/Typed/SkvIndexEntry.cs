using System.ComponentModel;

namespace TypedSkv.Typed;

/// <summary>One secondary-index entry of a record, produced by generated code.</summary>
/// <param name="Index">Index name (the property name).</param>
/// <param name="Unique">Whether the index allows one record per value.</param>
/// <param name="Key">Full entry key: <c>collection#index/</c> + value (+ record key for a non-unique index).</param>
/// <param name="Value">The indexed value as text, for error messages.</param>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public readonly record struct SkvIndexEntry(string Index, bool Unique, byte[] Key, string Value);
