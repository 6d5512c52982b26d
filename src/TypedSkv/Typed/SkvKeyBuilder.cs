using System.Buffers.Text;
using System.ComponentModel;
using System.Text;

namespace TypedSkv.Typed;

/// <summary>
/// Builds order-preserving keys: byte order of the encoded key equals the order of the typed key, and the
/// key stays readable UTF-8 text so JSON backups show it as a string. Used by generated code.
/// </summary>
/// <remarks>
/// Encoding of one key part (composite keys concatenate the parts after the collection prefix):
/// <list type="bullet">
/// <item>int: 10 decimal digits for 0..int.MaxValue ("0000000042"); negative values are '-' followed by the
/// 10 digits of <c>value - int.MinValue</c>, so every negative sorts before every non-negative ('-' &lt; '0')
/// and negatives sort among themselves by value.</item>
/// <item>long: the same with 19 digits.</item>
/// <item>Guid: 32 lowercase hex digits (format "N"); key order is the order of that text.</item>
/// <item>string, last part: its UTF-8 bytes as they are (so prefix scans work on the text).</item>
/// <item>string, not the last part: UTF-8 with 0x00 written as 0x01 0x01 and 0x01 as 0x01 0x02, then a 0x00
/// terminator, which sorts below every content byte ("a" &lt; "a" + anything).</item>
/// </list>
/// Every part is prefix-free, so composite keys sort part by part.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class SkvKeyBuilder
{
    [ThreadStatic] private static SkvKeyBuilder? t_cached;

    private byte[] _buffer;
    private int _length;

    public SkvKeyBuilder(int capacity = 64) => _buffer = new byte[Math.Max(capacity, 16)];

    /// <summary>A cleared builder cached per thread; do not hold on to it across calls that may use it too.</summary>
    public static SkvKeyBuilder Shared
    {
        get
        {
            var b = t_cached ??= new SkvKeyBuilder(256);
            b.Clear();
            return b;
        }
    }

    public int Length => _length;

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    public byte[] ToArray() => Span.ToArray();

    public void Clear() => _length = 0;

    public SkvKeyBuilder AppendRaw(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Grow(bytes.Length));
        _length += bytes.Length;
        return this;
    }

    public SkvKeyBuilder AppendInt32(int value)
    {
        Span<byte> dest = Grow(11);
        int n = 0;
        uint digits;
        if (value < 0)
        {
            dest[n++] = (byte)'-';
            digits = (uint)(value - int.MinValue);
        }
        else
        {
            digits = (uint)value;
        }
        Utf8Formatter.TryFormat(digits, dest[n..], out int written, new System.Buffers.StandardFormat('D', 10));
        _length += n + written;
        return this;
    }

    public SkvKeyBuilder AppendInt64(long value)
    {
        Span<byte> dest = Grow(20);
        int n = 0;
        ulong digits;
        if (value < 0)
        {
            dest[n++] = (byte)'-';
            digits = (ulong)(value - long.MinValue);
        }
        else
        {
            digits = (ulong)value;
        }
        Utf8Formatter.TryFormat(digits, dest[n..], out int written, new System.Buffers.StandardFormat('D', 19));
        _length += n + written;
        return this;
    }

    public SkvKeyBuilder AppendGuid(Guid value)
    {
        value.TryFormat(Grow(32), out int written, "N");
        _length += written;
        return this;
    }

    /// <summary>Appends a string part; <paramref name="last"/> = true writes it raw (only valid as the last part).</summary>
    public SkvKeyBuilder AppendString(string value, bool last)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (last)
        {
            int max = Encoding.UTF8.GetMaxByteCount(value.Length);
            _length += Encoding.UTF8.GetBytes(value, Grow(max));
            return this;
        }
        int count = Encoding.UTF8.GetByteCount(value);
        Span<byte> dest = Grow(count * 2 + 1);
        Encoding.UTF8.GetBytes(value, dest);
        // Escape in place from the back so each byte is read before it is overwritten.
        int escapes = 0;
        for (int i = 0; i < count; i++) if (dest[i] <= 1) escapes++;
        int w = count + escapes;
        dest[w] = 0;
        for (int r = count - 1; r >= 0; r--)
        {
            byte b = dest[r];
            if (b <= 1)
            {
                dest[--w] = (byte)(b + 1);
                dest[--w] = 1;
            }
            else
            {
                dest[--w] = b;
            }
        }
        _length += count + escapes + 1;
        return this;
    }

    public SkvKeyBuilder AppendString(string value) => AppendString(value, last: true);

    /// <summary>Returns the span of the free space after the key, at least <paramref name="size"/> bytes.</summary>
    private Span<byte> Grow(int size)
    {
        if (_buffer.Length - _length < size)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + size));
        }
        return _buffer.AsSpan(_length);
    }

    public override string ToString() => KeyFormatter.Describe(Span);
}
