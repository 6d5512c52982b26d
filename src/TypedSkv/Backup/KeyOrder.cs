namespace TypedSkv.Backup;

/// <summary>Whether keys arrive in strictly increasing unsigned byte order (so each is new to the file).</summary>
internal sealed class KeyOrder
{
    private byte[] _last = new byte[64];
    private int _length = -1;

    public bool Next(ReadOnlySpan<byte> key)
    {
        if (_length >= 0 && key.SequenceCompareTo(_last.AsSpan(0, _length)) <= 0) return false;
        if (key.Length > _last.Length) _last = new byte[Math.Max(key.Length, _last.Length * 2)];
        key.CopyTo(_last);
        _length = key.Length;
        return true;
    }
}

/// <summary>
/// A backup's keys came out of order, so the pass that counted on order (to know each key is new to the file
/// without remembering it) must run again with a set of key hashes (restore and verify).
/// </summary>
internal sealed class KeysOutOfOrder : Exception;
