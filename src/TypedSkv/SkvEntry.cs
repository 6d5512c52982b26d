using System.Text;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// One key from a scan. For the embedded store the value is read from disk only when asked for, so listing keys
/// costs no value I/O; such an entry is valid while its scan is being enumerated (or its snapshot is open).
/// </summary>
public readonly struct SkvEntry
{
    private readonly ReadOnlyMemory<byte> _key;
    private readonly DataFile? _file;
    private readonly byte[]? _value;
    private readonly long _offset;
    private readonly bool _positional; // read with pread, not the map: an entry of a whole-store pass (see DataFile.ReadAt)

    internal SkvEntry(ReadOnlyMemory<byte> key, DataFile file, long offset, int valueLength, bool mapped = true)
    {
        _key = key;
        _file = file;
        _value = null;
        _offset = offset;
        ValueLength = valueLength;
        _positional = !mapped;
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

    /// <summary>The key bytes (a read-only view into the index).</summary>
    public ReadOnlyMemory<byte> Key => _key;

    /// <summary>The key as UTF-8 text (invalid sequences become U+FFFD).</summary>
    public string KeyString => Encoding.UTF8.GetString(_key.Span);

    public int ValueLength { get; }

    /// <summary>Reads the value (checksum-verified).</summary>
    public byte[] GetValue()
    {
        if (_file is null) return _value ?? throw new InvalidOperationException("default SkvEntry");
        PinFile();
        try
        {
            return _file.ReadValue(_offset, _key.Span, ValueLength, mapped: !_positional);
        }
        finally
        {
            _file.Release();
        }
    }

    /// <summary>Hands the value to <paramref name="reader"/> without allocating it (valid only during the call).</summary>
    public TResult ReadValue<TState, TResult>(TState state, SkvValueReader<TState, TResult> reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (_file is null) return reader(_value ?? throw new InvalidOperationException("default SkvEntry"), state);
        PinFile();
        try
        {
            return _file.ReadValueWith(_offset, _key.Span, ValueLength, state, reader, mapped: !_positional);
        }
        finally
        {
            _file.Release();
        }
    }

    // an entry kept past its scan must fail cleanly, not read a file a compaction retired
    private void PinFile()
    {
        if (!_file!.TryAcquire())
            throw new ObjectDisposedException(nameof(SkvEntry), "the entry's scan or snapshot has ended and its data file was retired by a compaction; read values while enumerating");
    }

    /// <summary>Reads the value as UTF-8 text.</summary>
    public string GetValueString() => Encoding.UTF8.GetString(GetValue());

    public override string ToString() => KeyFormatter.Describe(_key.Span);
}
