using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TypedSkv.Backup;

/// <summary>
/// Pulls JSON tokens from a stream with <see cref="Utf8JsonReader"/> in constant memory: a buffer is refilled as
/// the reader consumes it (isFinalBlock=false plus the saved <see cref="JsonReaderState"/>), and grows only when
/// one token is larger than it. The current token's string value (unescaped) is valid until the next <see cref="Read"/>.
/// </summary>
internal sealed class JsonTokenSource : IDisposable
{
    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;          // first unconsumed byte
    private int _end;            // end of valid data
    private bool _eof;
    private long _consumedBefore; // bytes of the stream dropped from the buffer so far
    private JsonReaderState _state;
    private byte[] _scratch = [];
    private bool _valueInScratch;
    private int _valueStart, _valueLength;
    private int _tokenStartInBuffer;
    private bool _anyToken;
    private bool _bomChecked;

    public JsonTokenSource(Stream stream, int bufferSize = BackupFormat.ReaderBufferSize)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(bufferSize);
        _state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
    }

    public JsonTokenType TokenType { get; private set; } = JsonTokenType.None;

    /// <summary>Nesting depth after the current token (as <see cref="Utf8JsonReader.CurrentDepth"/>).</summary>
    public int Depth { get; private set; }

    /// <summary>Stream offset where the current token starts.</summary>
    public long TokenOffset { get; private set; }

    /// <summary>Bytes of JSON consumed so far.</summary>
    public long BytesConsumed => _consumedBefore + _start;

    /// <summary>The unescaped bytes of the current string or property name, or the raw text of a number.</summary>
    public ReadOnlySpan<byte> Value => _valueInScratch
        ? _scratch.AsSpan(0, _valueLength)
        : _buffer.AsSpan(_valueStart, _valueLength);

    public bool ValueEquals(ReadOnlySpan<byte> text) => Value.SequenceEqual(text);

    /// <summary>The current number token as an integer, if it is one.</summary>
    public bool TryGetInt64(out long value) =>
        Utf8Parser.TryParse(Value, out value, out int used) && used == _valueLength;

    /// <summary>
    /// Moves to the next token; false at the end of the input (only after the root value is complete: a
    /// truncated document throws). Throws <see cref="JsonException"/> on malformed JSON and on trailing content.
    /// </summary>
    public bool Read()
    {
        if (!_bomChecked) SkipBom();
        while (true)
        {
            var reader = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), _eof, _state);
            bool ok;
            try
            {
                ok = reader.Read();
            }
            catch (JsonException) when (_eof && EndsTooEarly())
            {
                throw new JsonException(_anyToken
                    ? "unexpected end of file: the JSON document is incomplete (truncated file?)"
                    : "the file holds no JSON (empty file?)");
            }
            if (ok)
            {
                Capture(ref reader);
                _anyToken = true;
                return true;
            }
            if (_eof)
            {
                if (!_anyToken) throw new JsonException("the file holds no JSON (empty file?)");
                if (reader.CurrentDepth != 0)
                    throw new JsonException("unexpected end of file: the JSON document is incomplete (truncated file?)");
                TokenType = JsonTokenType.None;
                return false;
            }
            Refill();
        }
    }

    private void Capture(ref Utf8JsonReader reader)
    {
        TokenType = reader.TokenType;
        Depth = reader.CurrentDepth;
        _tokenStartInBuffer = _start + (int)reader.TokenStartIndex;
        TokenOffset = _consumedBefore + _tokenStartInBuffer;
        _valueInScratch = false;
        _valueLength = 0;
        if (TokenType is JsonTokenType.String or JsonTokenType.PropertyName or JsonTokenType.Number)
        {
            if (reader.ValueIsEscaped)
            {
                int max = reader.ValueSpan.Length;
                if (_scratch.Length < max) _scratch = new byte[Math.Max(max, Math.Min(_scratch.Length * 2, int.MaxValue / 2))];
                _valueLength = reader.CopyString(_scratch);
                _valueInScratch = true;
            }
            else
            {
                ReadOnlySpan<byte> span = reader.ValueSpan;
                _valueStart = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(_buffer), ref MemoryMarshal.GetReference(span));
                _valueLength = span.Length;
            }
        }
        _state = reader.CurrentState;
        _start += (int)reader.BytesConsumed;
    }

    /// <summary>Skips the children of the current StartObject/StartArray (or nothing for a primitive).</summary>
    public void Skip()
    {
        if (TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray)) return;
        int depth = Depth;
        while (Read())
        {
            if (TokenType is JsonTokenType.EndObject or JsonTokenType.EndArray && Depth == depth) return;
        }
    }

    /// <summary>
    /// After the final block failed: would the same bytes have been fine with more data to come? Then the
    /// input simply ended too early (a truncated file), rather than holding a syntax error.
    /// </summary>
    private bool EndsTooEarly()
    {
        var probe = new Utf8JsonReader(_buffer.AsSpan(_start, _end - _start), isFinalBlock: false, _state);
        try
        {
            while (probe.Read()) { }
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>A UTF-8 byte order mark at the very start is skipped (some editors write one).</summary>
    private void SkipBom()
    {
        _bomChecked = true;
        while (_end < 3 && !_eof) Refill();
        if (_end >= 3 && _buffer[0] == 0xEF && _buffer[1] == 0xBB && _buffer[2] == 0xBF) _start = 3;
    }

    private void Refill()
    {
        int pending = _end - _start;
        if (_start > 0)
        {
            // keep only the unconsumed tail
            _buffer.AsSpan(_start, pending).CopyTo(_buffer);
            _consumedBefore += _start;
            _start = 0;
            _end = pending;
        }
        if (_end == _buffer.Length)
        {
            // one token larger than the buffer: grow (this is the only growth)
            byte[] bigger = ArrayPool<byte>.Shared.Rent(checked(_buffer.Length * 2));
            _buffer.AsSpan(0, _end).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = bigger;
        }
        int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
        if (n <= 0) _eof = true;
        else _end += n;
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}
