using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;

namespace TypedSkv.Backup;

/// <summary>
/// A value too large to buffer as a JSON token (see <see cref="JsonTokenSource.ReadValue"/>), collected from its
/// pieces: base64 is decoded as it arrives when the encoding is already known, otherwise the text is kept and decoded
/// in place at the end. So a value is held once, in native memory grown with realloc (which on Linux moves pages
/// rather than copying them: no doubled peak). Stops collecting, and says so, past the size limit: a hostile
/// string costs at most the limit, however long it is.
/// </summary>
internal sealed unsafe class StreamedValue : IDisposable
{
    private byte* _data;
    private nuint _capacity;
    private int _length;
    private bool _decodeBase64;
    private long _limit;
    private readonly byte[] _carry = new byte[4]; // base64 characters held back: the last group may hold padding
    private int _carryLength;

    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>The collected (for base64: decoded) bytes; valid until the next <see cref="Begin"/>.</summary>
    public ReadOnlySpan<byte> Span => new(_data, _length);

    public int Length => _length;

    /// <summary>More than the limit arrived (nothing past it was kept).</summary>
    public bool TooLarge { get; private set; }

    /// <summary>Base64 that does not decode (checked as it arrives, or by <see cref="DecodeInPlace"/>).</summary>
    public bool BadBase64 { get; private set; }

    /// <summary>Whether the pieces were decoded from base64 as they came.</summary>
    public bool Decoded => _decodeBase64;

    /// <param name="decodeBase64">The encoding is known to be base64: decode on the fly.</param>
    /// <param name="limit">Largest number of bytes kept (decoded bytes, or raw text).</param>
    public void Begin(bool decodeBase64, long limit)
    {
        _length = 0;
        _carryLength = 0;
        _decodeBase64 = decodeBase64;
        _limit = limit;
        TooLarge = BadBase64 = false;
    }

    public void Append(ReadOnlySpan<byte> piece)
    {
        if (TooLarge || BadBase64) return;
        if (!_decodeBase64)
        {
            if (_length + (long)piece.Length > _limit) { TooLarge = true; return; }
            Reserve(piece.Length);
            piece.CopyTo(new Span<byte>(_data + _length, piece.Length));
            _length += piece.Length;
            return;
        }
        if (piece.ContainsAny(Whitespace)) { BadBase64 = true; return; }
        if (_carryLength > 0)
        {
            int take = Math.Min(4 - _carryLength, piece.Length);
            piece[..take].CopyTo(_carry.AsSpan(_carryLength));
            _carryLength += take;
            piece = piece[take..];
            if (piece.IsEmpty) return; // the held group may still be the last
            if (!Decode(_carry, final: false)) return;
            _carryLength = 0;
        }
        int keep = piece.Length % 4;
        if (keep == 0) keep = Math.Min(4, piece.Length);
        if (!Decode(piece[..^keep], final: false)) return;
        piece[^keep..].CopyTo(_carry);
        _carryLength = keep;
    }

    /// <summary>Ends a value decoded on the fly: the held-back group is the last one (it may carry padding).</summary>
    public void Finish()
    {
        if (!_decodeBase64 || TooLarge || BadBase64) return;
        if (_carryLength is not (0 or 4)) { BadBase64 = true; return; }
        Decode(_carry.AsSpan(0, _carryLength), final: true);
        _carryLength = 0;
    }

    /// <summary>Turns collected base64 text into its bytes, in place.</summary>
    public void DecodeInPlace()
    {
        var text = new Span<byte>(_data, _length);
        if (text.ContainsAny(Whitespace) || Base64.DecodeFromUtf8InPlace(text, out int written) != OperationStatus.Done)
        {
            BadBase64 = true;
            return;
        }
        _length = written;
        _decodeBase64 = true;
    }

    private bool Decode(ReadOnlySpan<byte> base64, bool final)
    {
        if (base64.IsEmpty) return true;
        int max = Base64.GetMaxDecodedFromUtf8Length(base64.Length);
        if (_length + (long)max > _limit + 2)
        {
            TooLarge = true;
            return false;
        }
        Reserve(max);
        var status = Base64.DecodeFromUtf8(base64, new Span<byte>(_data + _length, max), out int consumed, out int written, isFinalBlock: final);
        if (status != OperationStatus.Done || consumed != base64.Length) { BadBase64 = true; return false; }
        _length += written;
        if (_length > _limit) { TooLarge = true; return false; }
        return true;
    }

    private void Reserve(int more)
    {
        nuint needed = (nuint)_length + (nuint)more;
        if (needed <= _capacity) return;
        nuint grown = Math.Max(needed, Math.Max(_capacity * 2, 1 << 20));
        grown = Math.Min(grown, (nuint)Math.Max((long)needed, Math.Min(_limit + 8, Array.MaxLength)));
        _data = (byte*)NativeMemory.Realloc(_data, grown);
        _capacity = grown;
    }

    public void Dispose()
    {
        NativeMemory.Free(_data);
        _data = null;
        _capacity = 0;
        _length = 0;
    }
}
