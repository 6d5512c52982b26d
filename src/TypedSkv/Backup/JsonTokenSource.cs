using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace TypedSkv.Backup;

/// <summary>
/// Pulls JSON tokens from a stream with <see cref="Utf8JsonReader"/> in constant memory: a buffer is refilled as
/// the reader consumes it (isFinalBlock=false plus the saved <see cref="JsonReaderState"/>), and grows only when
/// one token is larger than it. Because a reader cannot live between calls, each fill reads a batch of tokens
/// into a small queue (one reader per batch, not per token). The current token's value (unescaped) is valid
/// until the next <see cref="Read"/>.
/// </summary>
internal sealed class JsonTokenSource : IDisposable
{
    private struct Token
    {
        public JsonTokenType Type;
        public bool InArena;
        public int Depth;
        public int ValueStart;
        public int ValueLength;
        public long Offset;
    }

    private const int BatchSize = 256;

    private readonly Stream _stream;
    private byte[] _buffer;
    private int _start;           // first byte not yet consumed by a reader
    private int _end;             // end of valid data
    private bool _eof;
    private long _consumedBefore; // bytes of the stream dropped from the front of the buffer so far
    private JsonReaderState _state;
    private bool _anyToken;
    private bool _bomChecked;

    private readonly Token[] _queue = new Token[BatchSize];
    private int _queueHead, _queueCount;
    private Token _current;
    private byte[] _arena = new byte[4096]; // unescaped copies of escaped strings of the current batch
    private int _arenaUsed;

    private readonly long _maxTokenBytes;

    // maxTokenBytes: the largest single token accepted; bounds memory against a hostile "huge string" file
    public JsonTokenSource(Stream stream, int bufferSize = BackupFormat.ReaderBufferSize, long maxTokenBytes = int.MaxValue)
    {
        _stream = stream;
        _maxTokenBytes = Math.Clamp(maxTokenBytes, 4, Array.MaxLength);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, 4));
        _state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
    }

    public JsonTokenType TokenType => _current.Type;

    /// <summary>Nesting depth of the current token (as <see cref="Utf8JsonReader.CurrentDepth"/>).</summary>
    public int Depth => _current.Depth;

    /// <summary>Stream offset where the current token starts.</summary>
    public long TokenOffset => _current.Offset;

    /// <summary>Bytes of JSON consumed so far (to the end of the current batch).</summary>
    public long BytesConsumed => _consumedBefore + _start;

    /// <summary>The unescaped bytes of the current string or property name, or the raw text of a number.</summary>
    public ReadOnlySpan<byte> Value => (_current.InArena ? _arena : _buffer).AsSpan(_current.ValueStart, _current.ValueLength);

    public bool ValueEquals(ReadOnlySpan<byte> text) => Value.SequenceEqual(text);

    /// <summary>The current number token as an integer, if it is one.</summary>
    public bool TryGetInt64(out long value) =>
        Utf8Parser.TryParse(Value, out value, out int used) && used == _current.ValueLength;

    /// <summary>
    /// Moves to the next token; false at the end of the input (only after the root value is complete: a
    /// truncated document throws). Throws <see cref="JsonException"/> on malformed JSON and on trailing content.
    /// </summary>
    public bool Read()
    {
        if (_queueHead < _queueCount)
        {
            _current = _queue[_queueHead++];
            return true;
        }
        if (!_bomChecked) SkipBom();
        while (true)
        {
            if (FillQueue())
            {
                _current = _queue[0];
                _queueHead = 1;
                return true;
            }
            if (_eof)
            {
                _current = default;
                return false;
            }
            Refill();
        }
    }

    /// <summary>Reads a batch of tokens from the buffer; false when none is complete (more data needed, or the end).</summary>
    private bool FillQueue()
    {
        _queueHead = _queueCount = 0;
        _arenaUsed = 0;
        var span = _buffer.AsSpan(_start, _end - _start);
        var startState = _state;
        var reader = new Utf8JsonReader(span, _eof, startState);
        int n = 0;
        try
        {
            while (n < BatchSize && reader.Read())
            {
                Capture(ref reader, ref _queue[n]);
                n++;
            }
        }
        catch (Exception ex) when (n > 0 && ex is JsonException or InvalidOperationException)
        {
            // hand out the good tokens first: the error is met again, at its place, by the next fill
            reader = new Utf8JsonReader(span, _eof, startState);
            for (int i = 0; i < n; i++) reader.Read();
        }
        catch (JsonException) when (_eof && EndsTooEarly(span, startState))
        {
            throw new JsonException(_anyToken
                ? "unexpected end of file: the JSON document is incomplete (truncated file?)"
                : "the file holds no JSON (empty file?)");
        }
        catch (InvalidOperationException ex)
        {
            // e.g. an escape sequence that makes invalid UTF-16 (a lone surrogate)
            throw new JsonException(ex.Message, ex);
        }
        if (n == 0 && _eof)
        {
            if (!_anyToken) throw new JsonException("the file holds no JSON (empty file?)");
            if (reader.CurrentDepth != 0)
                throw new JsonException("unexpected end of file: the JSON document is incomplete (truncated file?)");
        }
        _state = reader.CurrentState;
        _start += (int)reader.BytesConsumed;
        _queueCount = n;
        if (n > 0) _anyToken = true;
        return n > 0;
    }

    private void Capture(ref Utf8JsonReader reader, ref Token t)
    {
        t.Type = reader.TokenType;
        t.Depth = reader.CurrentDepth;
        t.Offset = _consumedBefore + _start + reader.TokenStartIndex;
        t.InArena = false;
        t.ValueStart = t.ValueLength = 0;
        if (t.Type is JsonTokenType.String or JsonTokenType.PropertyName or JsonTokenType.Number)
        {
            if (reader.ValueIsEscaped)
            {
                int max = reader.ValueSpan.Length;
                if (_arena.Length - _arenaUsed < max)
                {
                    // grow, keeping what earlier tokens of this batch point at
                    byte[] bigger = new byte[Math.Max(_arenaUsed + max, (int)Math.Min(_arena.Length * 2L, Array.MaxLength))];
                    _arena.AsSpan(0, _arenaUsed).CopyTo(bigger);
                    _arena = bigger;
                }
                t.ValueLength = reader.CopyString(_arena.AsSpan(_arenaUsed));
                t.ValueStart = _arenaUsed;
                t.InArena = true;
                _arenaUsed += t.ValueLength;
            }
            else
            {
                ReadOnlySpan<byte> value = reader.ValueSpan;
                t.ValueStart = (int)Unsafe.ByteOffset(ref MemoryMarshal.GetArrayDataReference(_buffer), ref MemoryMarshal.GetReference(value));
                t.ValueLength = value.Length;
            }
        }
    }

    /// <summary>
    /// After the final block failed: would the same bytes have been fine with more data to come? Then the
    /// input simply ended too early (a truncated file), rather than holding a syntax error.
    /// </summary>
    private static bool EndsTooEarly(ReadOnlySpan<byte> span, JsonReaderState state)
    {
        var probe = new Utf8JsonReader(span, isFinalBlock: false, state);
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
            if (_buffer.Length >= _maxTokenBytes)
                throw new JsonException($"a single JSON token is larger than {_maxTokenBytes} bytes (the limit follows the largest allowed value)");
            byte[] bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_buffer.Length * 2L, _maxTokenBytes));
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
