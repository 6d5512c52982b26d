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
        public bool Streamed;
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

    // streamed strings (see ReadValue)
    private readonly int _streamThreshold;
    private StringChunkHandler? _chunkHandler;
    private bool _markStreamed;
    private byte[] _segment = [], _unescaped = [];

    // maxTokenBytes: the largest single token accepted; bounds memory against a hostile "huge string" file
    // streamThreshold: a string value at least this large is passed on in pieces by ReadValue instead of being buffered
    public JsonTokenSource(Stream stream, int bufferSize = BackupFormat.ReaderBufferSize, long maxTokenBytes = int.MaxValue,
        int streamThreshold = BackupFormat.StreamedStringThreshold)
    {
        _stream = stream;
        _streamThreshold = Math.Max(streamThreshold, 64);
        _maxTokenBytes = Math.Clamp(maxTokenBytes, 4, Array.MaxLength);
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(bufferSize, 4));
        _state = new JsonReaderState(new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 });
    }

    public JsonTokenType TokenType => _current.Type;

    /// <summary>The current string token was passed to the handler of <see cref="ReadValue"/> in pieces; <see cref="Value"/> is empty.</summary>
    public bool IsStreamed => _current.Streamed;

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

    /// <summary>
    /// Like <see cref="Read"/>, for a token that is a property's value: when it is a string too large to buffer (at
    /// least the stream threshold), its unescaped content goes to <paramref name="onChunk"/> in pieces of at most the
    /// threshold, as it is read, and the token comes back with <see cref="IsStreamed"/> set. Memory stays bounded
    /// whatever the string's size; the BCL reader still validates and unescapes every piece.
    /// </summary>
    public bool ReadValue(StringChunkHandler onChunk)
    {
        _chunkHandler = onChunk;
        try
        {
            return Read();
        }
        finally
        {
            _chunkHandler = null;
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
        t.Streamed = false;
        if (_markStreamed && t.Type == JsonTokenType.String)
        {
            // the "" that stands in for a string streamed by StreamString
            t.Streamed = true;
            _markStreamed = false;
        }
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
        if (_end == _buffer.Length && _chunkHandler is not null && _buffer.Length >= _streamThreshold && StreamString(_chunkHandler))
            return;
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

    // ------------------------------------------------------------------ streamed strings

    private static bool IsJsonSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    /// <summary>
    /// The pending bytes (the buffer is full of them) should start a string value: optional whitespace, an optional
    /// ':' (the separator after the property name, which the reader consumes with the value) and a quote. Streams
    /// the content to <paramref name="onChunk"/>: each piece is cut where no escape or UTF-8 sequence is split (and
    /// never between the halves of a surrogate pair), quoted again and given to a fresh Utf8JsonReader, which
    /// validates and unescapes it. When the closing quote is found the string is replaced by <c>""</c> in the buffer,
    /// so the saved reader state carries on as if it had read a string. False when the pending bytes are not a string.
    /// </summary>
    private bool StreamString(StringChunkHandler onChunk)
    {
        int p = _start;
        while (p < _end && IsJsonSpace(_buffer[p])) p++;
        if (p < _end && _buffer[p] == (byte)':')
        {
            p++;
            while (p < _end && IsJsonSpace(_buffer[p])) p++;
        }
        if (p >= _end || _buffer[p] != (byte)'"' || p - _start > 4096) return false;

        // layout from now on: [0, prefixLength) what precedes the quote, then the quote, then unconsumed content
        byte[] prefix = _buffer.AsSpan(_start, p - _start).ToArray();
        int contentStart = prefix.Length + 1;
        Compact(prefix, p + 1);
        int pos = contentStart;
        if (_segment.Length < _buffer.Length + 2) _segment = new byte[_buffer.Length + 2];
        if (_unescaped.Length < _buffer.Length) _unescaped = new byte[_buffer.Length];

        while (true)
        {
            int cut = SafeCut(pos, out bool end);
            if (cut > pos)
            {
                Unescape(_buffer.AsSpan(pos, cut - pos), onChunk);
                pos = cut;
            }
            if (end)
            {
                // the closing quote is at pos: put prefix + opening quote right before it
                int newStart = pos - 1 - prefix.Length;
                prefix.CopyTo(_buffer.AsSpan(newStart));
                _buffer[pos - 1] = (byte)'"';
                _consumedBefore += newStart;
                _buffer.AsSpan(newStart, _end - newStart).CopyTo(_buffer);
                _end -= newStart;
                _start = 0;
                _markStreamed = true;
                return true;
            }
            // keep the unconsumed tail, read more
            int dropped = pos - contentStart;
            Compact(prefix, pos);
            _consumedBefore += dropped;
            pos = contentStart;
            int n = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (n <= 0) throw new JsonException("unexpected end of file inside a string (truncated file?)");
            _end += n;
        }
    }

    /// <summary>Moves prefix + quote to the front of the buffer and the bytes from <paramref name="from"/> after them.</summary>
    private void Compact(byte[] prefix, int from)
    {
        int rest = _end - from;
        _buffer.AsSpan(from, rest).CopyTo(_buffer.AsSpan(prefix.Length + 1));
        prefix.CopyTo(_buffer.AsSpan());
        _buffer[prefix.Length] = (byte)'"';
        _start = 0;
        _end = prefix.Length + 1 + rest;
    }

    /// <summary>The end of the longest piece from <paramref name="pos"/> that splits nothing; <paramref name="end"/>: it ends at the closing quote.</summary>
    private int SafeCut(int pos, out bool end)
    {
        end = false;
        int i = pos;
        while (true)
        {
            int j = _buffer.AsSpan(i, _end - i).IndexOfAny((byte)'"', (byte)'\\');
            if (j < 0) return Utf8Boundary(i, _end);
            i += j;
            if (_buffer[i] == (byte)'"')
            {
                end = true;
                return i;
            }
            int length = i + 1 < _end && _buffer[i + 1] == (byte)'u' ? 6 : 2;
            // a high surrogate escape goes with the escape after it (the BCL rejects a lone one either way)
            if (length == 6 && i + 3 < _end && _buffer[i + 2] is (byte)'d' or (byte)'D' && _buffer[i + 3] is (byte)'8' or (byte)'9' or (byte)'a' or (byte)'b' or (byte)'A' or (byte)'B')
                length = 12;
            if (i + length > _end) return i;
            i += length;
        }
    }

    /// <summary><paramref name="end"/>, or the start of a UTF-8 sequence it would cut.</summary>
    private int Utf8Boundary(int from, int end)
    {
        for (int t = end - 1; t >= Math.Max(from, end - 4); t--)
        {
            byte b = _buffer[t];
            if ((b & 0xC0) == 0x80) continue; // continuation byte
            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return t + needed > end ? t : end;
        }
        return end;
    }

    private void Unescape(ReadOnlySpan<byte> piece, StringChunkHandler onChunk)
    {
        _segment[0] = (byte)'"';
        piece.CopyTo(_segment.AsSpan(1));
        _segment[piece.Length + 1] = (byte)'"';
        var reader = new Utf8JsonReader(_segment.AsSpan(0, piece.Length + 2), isFinalBlock: true, state: default);
        int n;
        try
        {
            reader.Read();
            n = reader.ValueIsEscaped ? reader.CopyString(_unescaped) : reader.ValueSpan.Length;
            if (!reader.ValueIsEscaped) reader.ValueSpan.CopyTo(_unescaped);
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonException(ex.Message, ex);
        }
        onChunk(_unescaped.AsSpan(0, n));
    }

    public void Dispose()
    {
        var b = _buffer;
        _buffer = [];
        if (b.Length > 0) ArrayPool<byte>.Shared.Return(b);
    }
}

/// <summary>Receives a streamed string's unescaped content, piece by piece (see <see cref="JsonTokenSource.ReadValue"/>).</summary>
internal delegate void StringChunkHandler(ReadOnlySpan<byte> piece);
