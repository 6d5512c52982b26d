using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>
/// One published version of the store: an index root and the file its offsets point into. Replaced as a whole
/// on every commit, so a reader that picked it up sees one consistent point in time.
/// </summary>
internal sealed record StoreState(KeyIndex.Node Root, long Count, DataFile File, long FileRecords, long LiveBytes)
{
    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value)
    {
        if (!KeyIndex.TryFind(Root, key, out var entry))
        {
            value = null;
            return false;
        }
        value = File.ReadValue(entry.Offset, key, entry.ValueLength);
        return true;
    }

    public bool TryRead<TState, TResult>(ReadOnlySpan<byte> key, TState state, SkvValueReader<TState, TResult> reader, out TResult? result)
    {
        if (!KeyIndex.TryFind(Root, key, out var entry))
        {
            result = default;
            return false;
        }
        result = File.ReadValueWith(entry.Offset, key, entry.ValueLength, state, reader);
        return true;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key) => KeyIndex.TryFind(Root, key, out _);
}
