namespace TypedSkv.Storage;

/// <summary>
/// A reference count that starts at one (the owner's reference) and, once it has reached zero, can never be acquired
/// again: what lets a reader pin a data file or a checkpoint without a lock while a compaction or a merge retires it.
/// A mutable field of its owner; never copy it.
/// </summary>
internal struct RefCount()
{
    private int _refs = 1;

    public bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _refs);
            if (r == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
        }
    }

    /// <summary>Drops one reference; true when it was the last (the caller frees the resource).</summary>
    public bool Release() => Interlocked.Decrement(ref _refs) == 0;
}
