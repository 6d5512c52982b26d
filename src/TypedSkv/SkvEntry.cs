using System.Text;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// One key from a scan. The value is read from disk only when asked for, so listing keys costs no value I/O.
/// Valid while its scan is being enumerated (or its snapshot is open).
/// </summary>
public readonly struct SkvEntry
{
    private readonly byte[] _key;
    private readonly DataFile? _file;
    private readonly byte[]? _value;
    private readonly long _offset;

    internal SkvEntry(byte[] key, DataFile file, long offset, int valueLength)
    {
        _key = key;
        _file = file;
        _offset = offset;
        ValueLength = valueLength;
    }

    /// <summary>An entry whose value is already in memory (storage backends other than the embedded store).</summary>
    public SkvEntry(byte[] key, byte[] value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        _key = key;
        _file = null;
        _value = value;
        _offset = 0;
        ValueLength = value.Length;
    }

    /// <summary>The key bytes (do not change them: they are the index's own).</summary>
    public ReadOnlyMemory<byte> Key => _key;

    /// <summary>The key as UTF-8 text (invalid sequences become U+FFFD).</summary>
    public string KeyString => Encoding.UTF8.GetString(_key);

    public int ValueLength { get; }

    /// <summary>Reads the value (checksum-verified).</summary>
    public byte[] GetValue()
    {
        if (_file is null) return _value ?? throw new InvalidOperationException("default SkvEntry");
        // pin the file: an entry kept past its scan must fail cleanly, not read a file a compaction retired
        if (!_file.TryAcquire())
            throw new ObjectDisposedException(nameof(SkvEntry), "the entry's scan or snapshot has ended and its data file was retired by a compaction; read values while enumerating");
        try
        {
            return _file.ReadValue(_offset, _key, ValueLength);
        }
        finally
        {
            _file.Release();
        }
    }

    /// <summary>Reads the value as UTF-8 text.</summary>
    public string GetValueString() => Encoding.UTF8.GetString(GetValue());

    public override string ToString() => KeyFormatter.Describe(_key);
}
