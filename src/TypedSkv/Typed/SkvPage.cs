namespace TypedSkv;

/// <summary>
/// One page of an index range query: the records in index order, and where the next page starts (null on the
/// last page). Pass <see cref="Next"/> back as <c>after</c> to continue; the cursor is the last index entry's key,
/// so a page continues correctly even when records were written in between.
/// </summary>
public sealed record SkvPage<T>(IReadOnlyList<T> Items, SkvIndexCursor? Next);

/// <summary>A position in an index (the stored key of its last entry read).</summary>
public sealed record SkvIndexCursor(byte[] AfterKey)
{
    public override string ToString() => KeyFormatter.Describe(AfterKey);
}
