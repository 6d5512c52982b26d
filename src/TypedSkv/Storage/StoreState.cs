using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>
/// One published version of the store: the index layers and the file their offsets point into. Replaced as a whole
/// on every commit, so a reader that picked it up sees one consistent point in time.
/// </summary>
internal sealed record StoreState(IndexLayers Index, long Count, DataFile File, long FileRecords, long LiveBytes)
{
    /// <summary>Pins the data file and the checkpoint so that a compaction or a merge cannot close them under a reader.</summary>
    public bool TryPin()
    {
        if (!File.TryAcquire()) return false;
        if (Index.Base is null || Index.Base.TryAcquire()) return true;
        File.Release();
        return false;
    }

    public void Unpin()
    {
        Index.Base?.Release();
        File.Release();
    }

    public bool TryGet(ReadOnlySpan<byte> key, out byte[]? value, bool mapped = true)
    {
        if (!Index.TryFind(key, out var entry))
        {
            value = null;
            return false;
        }
        value = File.ReadValue(entry.Offset, key, entry.ValueLength, mapped);
        return true;
    }

    public bool TryRead<TState, TResult>(ReadOnlySpan<byte> key, TState state, SkvValueReader<TState, TResult> reader, out TResult? result)
    {
        if (!Index.TryFind(key, out var entry))
        {
            result = default;
            return false;
        }
        result = File.ReadValueWith(entry.Offset, key, entry.ValueLength, state, reader);
        return true;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key) => Index.TryFind(key, out _);
}
