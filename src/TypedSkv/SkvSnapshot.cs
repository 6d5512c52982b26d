using System.Diagnostics.CodeAnalysis;
using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// A read-only view of the store at one point in time. Writes and compactions after it was taken are not seen,
/// and it keeps its data file readable until disposed. This is what a backup iterates.
/// </summary>
public sealed class SkvSnapshot : ISkvReadView
{
    private readonly StoreState _state;
    private readonly ResidentPageBudget? _pages;
    private int _disposed;

    /// <param name="state">pinned; the snapshot owns the pin</param>
    /// <param name="wholeStorePass">a backup, verify or restore reads the whole store once: its pages are let go
    /// as it goes (<see cref="ResidentPageBudget"/>), so its memory does not grow with the store</param>
    internal SkvSnapshot(StoreState state, bool wholeStorePass = false)
    {
        _state = state;
        _pages = wholeStorePass ? new ResidentPageBudget(state) : null;
    }

    public long Count => _state.Count;

    /// <summary>Always true: a snapshot never sees later writes.</summary>
    public bool IsPointInTime => true;

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        ThrowIfDisposed();
        if (!_state.TryPin()) throw new ObjectDisposedException(nameof(SkvSnapshot));
        try
        {
            _pages?.Count();
            return _state.TryGet(key, out value, mapped: _pages is null);
        }
        finally
        {
            _state.Unpin();
        }
    }

    public byte[] Get(ReadOnlySpan<byte> key) => TryGet(key, out var v) ? v : throw new SkvKeyNotFoundException(key);

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        ThrowIfDisposed();
        if (!_state.TryPin()) throw new ObjectDisposedException(nameof(SkvSnapshot));
        try
        {
            _pages?.Count();
            return _state.ContainsKey(key);
        }
        finally
        {
            _state.Unpin();
        }
    }

    public IEnumerable<SkvEntry> Scan() => ScanRange(null, null);

    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix)
    {
        var (from, to) = KeyIndex.PrefixBounds(prefix);
        return ScanRange(from, to);
    }

    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive)
    {
        ThrowIfDisposed();
        // the scan holds its own pin: disposing the snapshot mid-scan must not unmap the checkpoint it is reading
        if (!_state.TryPin()) throw new ObjectDisposedException(nameof(SkvSnapshot));
        try
        {
            foreach (var (key, entry) in _state.Index.Range(fromInclusive, toExclusive))
            {
                ThrowIfDisposed();
                _pages?.Count();
                yield return new SkvEntry(key, _state.File, entry.Offset, entry.ValueLength, mapped: _pages is null);
            }
        }
        finally
        {
            _state.Unpin();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _state.Unpin();
    }
}
