namespace TypedSkv;

/// <summary>
/// Puts and deletes collected in memory and applied by <see cref="SkvStore.Write"/> all at once: readers and a
/// crash see either none or all of them. Building a batch takes no lock.
/// </summary>
public sealed class SkvWriteBatch
{
    private readonly List<(byte[] Key, byte[]? Value)> _ops = [];

    public int Count => _ops.Count;
    public bool IsEmpty => _ops.Count == 0;

    public SkvWriteBatch Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        SkvStore.ValidateKey(key);
        SkvStore.ValidateValue(value);
        _ops.Add((key.ToArray(), value.ToArray()));
        return this;
    }

    public SkvWriteBatch Put(string key, string value) => Put(SkvStore.Utf8(key), SkvStore.Utf8(value));

    public SkvWriteBatch Delete(ReadOnlySpan<byte> key)
    {
        SkvStore.ValidateKey(key);
        _ops.Add((key.ToArray(), null));
        return this;
    }

    public SkvWriteBatch Delete(string key) => Delete(SkvStore.Utf8(key));

    public void Clear() => _ops.Clear();

    internal void ApplyTo(SkvTransaction tx)
    {
        foreach (var (key, value) in _ops)
        {
            if (value is null) tx.Delete(key);
            else tx.Put(key, value);
        }
    }

    internal void ApplyTo(ISkvWriteTransaction tx)
    {
        foreach (var (key, value) in _ops)
        {
            if (value is null) tx.Delete(key);
            else tx.Put(key, value);
        }
    }
}
