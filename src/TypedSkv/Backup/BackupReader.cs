using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using TypedSkv.Storage;

namespace TypedSkv.Backup;

/// <summary>
/// Streams the records out of a backup document (or a legacy Go array), in any field order, skipping unknown
/// fields. Two kinds of trouble:
/// <list type="bullet">
/// <item>fatal (malformed JSON, truncated file, unsupported version, missing "records"): thrown as
/// <see cref="SkvBackupException"/>, parsing cannot go on;</item>
/// <item>data problems of one record (bad base64, invalid UTF-8, unknown encoding, missing or mistyped field):
/// <see cref="RecordProblem"/> is set and parsing goes on, so that verify can list them all.</item>
/// </list>
/// After <see cref="Next"/> returned false, <see cref="FileProblems"/> holds the document-level checks (version
/// present, total_records matches, checksum matches).
/// </summary>
internal sealed class BackupReader : IDisposable
{
    private readonly JsonTokenSource _tokens;
    private readonly RecordsChecksum _checksum = new();
    private readonly List<string> _fileProblems = [];
    private readonly HashSet<string> _seenMembers = [];
    private bool _legacy;
    private bool _inRecords;
    private bool _done;
    private bool _sawRecords;
    private long _index = -1;

    // per record: raw JSON string bytes (unescaped) and decoded bytes
    private byte[] _keyRaw = new byte[256], _valueRaw = new byte[4096];
    private byte[] _keyDecoded = new byte[256], _valueDecoded = new byte[4096];
    private int _keyRawLength, _valueRawLength, _valueB64Length;
    private byte[] _valueB64 = [];
    private int _keyLength, _valueLength;
    private bool _keyFromDecoded, _valueFromDecoded;

    // a value too large to buffer as a token (see StreamedValue): which field it came from, 0 for none
    private readonly StreamedValue _streamed = new();
    private readonly StringChunkHandler _collectPiece, _discardPiece;
    private int _streamedField;
    private bool _streamBegun, _streamDecodes;
    private bool _valueInStreamed;

    // allowIncremental: read incremental documents (version 2, "changes") too; otherwise they are refused at their version
    public BackupReader(string path, Stream json, int bufferSize = BackupFormat.ReaderBufferSize, long maxValueBytes = Storage.RecordFormat.MaxValueLength,
        int streamThreshold = BackupFormat.StreamedStringThreshold, bool allowIncremental = false)
    {
        _allowIncremental = allowIncremental;
        FilePath = path;
        _maxValueBytes = Math.Min(maxValueBytes, RecordFormat.MaxValueLength);
        // a value's JSON string is at most 6 bytes per byte (\u00XX escapes); base64 is 4 per 3
        // values stream (StreamedValue); anything else is a name, a number or a short string
        _tokens = new JsonTokenSource(json, bufferSize, maxTokenBytes: BackupFormat.MaxBufferedToken, streamThreshold);
        _collectPiece = CollectPiece;
        _discardPiece = static _ => { };
    }

    private void CollectPiece(ReadOnlySpan<byte> piece)
    {
        if (!_streamBegun)
        {
            // raw text may be base64 of a value at the limit: 4 characters per 3 bytes
            _streamed.Begin(_streamDecodes, _streamDecodes ? _maxValueBytes : Math.Max(_maxValueBytes, (_maxValueBytes + 2) / 3 * 4));
            _streamBegun = true;
        }
        _streamed.Append(piece);
    }

    public string FilePath { get; }

    private readonly long _maxValueBytes;

    /// <summary>"1.x" version string of the document, "legacy-array", or "unknown" before the start was read.</summary>
    public string Format => _legacy ? BackupFormat.LegacyArrayFormat : Version ?? "unknown";
    public string? Version { get; private set; }

    private readonly bool _allowIncremental;

    /// <summary>An incremental document: its records are changes (<see cref="IsDelete"/>), its base is <see cref="Base"/>.</summary>
    public bool IsIncremental { get; private set; }

    /// <summary>The file an incremental document applies to, as it names it ("base").</summary>
    public BackupLink? Base { get; private set; }

    public string? Kind { get; private set; }

    /// <summary>The current change is a deletion (incremental documents): <see cref="Value"/> is empty.</summary>
    public bool IsDelete { get; private set; }

    /// <summary>The xxh3-64 of the records read so far; after the end, the checksum the file's records have.</summary>
    public string ComputedChecksum => _checksum.Hex;

    /// <summary>Reads the document up to its first record (the header), without reading a record.</summary>
    public void ReadHeader()
    {
        if (_inRecords || _done) return;
        try
        {
            Start();
        }
        catch (JsonException ex)
        {
            throw Error(null, "malformed JSON: " + CleanMessage(ex), _tokens.BytesConsumed, ex);
        }
        catch (BackupDataException ex)
        {
            throw Error(null, ex.Message, _tokens.BytesConsumed, ex);
        }
        catch (InvalidDataException ex)
        {
            throw Error(null, "the gzip data is corrupt: " + ex.Message, _tokens.BytesConsumed, ex);
        }
    }
    public DateTimeOffset? CreatedAt { get; private set; }
    public long? DeclaredRecords { get; private set; }
    public string? ChecksumAlgorithm { get; private set; }
    public string? ChecksumValue { get; private set; }
    public bool HasChecksum => ChecksumValue is not null;

    /// <summary>Null until the end; then whether the declared xxh3-64 checksum matched (null: none or unknown algorithm).</summary>
    public bool? ChecksumValid { get; private set; }

    /// <summary>0-based index of the current record.</summary>
    public long RecordIndex => _index;

    /// <summary>Records read so far (duplicates and records with problems included).</summary>
    public long Records => _index + 1;

    /// <summary>Uncompressed JSON bytes read so far.</summary>
    public long BytesRead => _tokens.BytesConsumed;

    /// <summary>Offset of the current record's start.</summary>
    public long RecordOffset { get; private set; }

    /// <summary>What is wrong with the current record, or null when <see cref="Key"/> and <see cref="Value"/> are good.</summary>
    public string? RecordProblem { get; private set; }

    /// <summary>The current record's value was "text" (else base64).</summary>
    public bool ValueIsText { get; private set; }

    /// <summary>Key bytes of the current record; valid until the next <see cref="Next"/>.</summary>
    public ReadOnlySpan<byte> Key => (_keyFromDecoded ? _keyDecoded : _keyRaw).AsSpan(0, _keyLength);

    /// <summary>Value bytes of the current record; valid until the next <see cref="Next"/>.</summary>
    public ReadOnlySpan<byte> Value => _valueInStreamed ? _streamed.Span : (_valueFromDecoded ? _valueDecoded : _valueRaw).AsSpan(0, _valueLength);

    /// <summary>Document-level problems found at the end (empty while records are being read).</summary>
    public IReadOnlyList<string> FileProblems => _fileProblems;

    public SkvBackupException Error(long? index, string problem, long? offset = null, Exception? inner = null) =>
        new(FilePath, index, offset, problem, inner);

    /// <summary>Moves to the next record; false after the last one (the rest of the document has then been read and checked).</summary>
    public bool Next()
    {
        if (_done) return false;
        long? at = _inRecords ? _index + 1 : null; // the record being read, for errors
        try
        {
            if (!_inRecords) Start();
            if (!Read())
                throw Error(_index + 1, "unexpected end of file inside \"records\" (truncated file?)", _tokens.BytesConsumed);
            if (_tokens.TokenType == JsonTokenType.EndArray)
            {
                Finish();
                return false;
            }
            at = ++_index;
            RecordOffset = _tokens.TokenOffset;
            ReadRecord();
            return true;
        }
        catch (JsonException ex)
        {
            throw Error(_done ? null : at, "malformed JSON: " + CleanMessage(ex), _tokens.BytesConsumed, ex);
        }
        catch (BackupDataException ex)
        {
            // decryption, zstd
            throw Error(_done ? null : at, ex.Message, _tokens.BytesConsumed, ex);
        }
        catch (InvalidDataException ex)
        {
            throw Error(_done ? null : at, "the gzip data is corrupt: " + ex.Message, _tokens.BytesConsumed, ex);
        }
    }

    private bool Read()
    {
        try
        {
            return _tokens.Read();
        }
        catch (InvalidOperationException ex)
        {
            // e.g. an escape sequence that makes invalid UTF-16 (lone surrogate)
            throw new JsonException(ex.Message, ex);
        }
    }

    private void ReadOrThrow(string what)
    {
        if (!Read()) throw new JsonException($"unexpected end of file {what} (truncated file?)");
    }

    private static string CleanMessage(JsonException ex)
    {
        string m = ex.Message;
        int cut = m.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return cut > 0 ? m[..cut] : m;
    }

    // ------------------------------------------------------------------ document level

    private void Start()
    {
        ReadOrThrow("at the start");
        if (_tokens.TokenType == JsonTokenType.StartArray)
        {
            _legacy = true;
            _inRecords = true;
            _sawRecords = true;
            return;
        }
        if (_tokens.TokenType != JsonTokenType.StartObject)
            throw Error(null, $"not a backup: the document is a {_tokens.TokenType}, expected an object (or the legacy array)", _tokens.TokenOffset);
        if (!ReadHeaderUntilRecords())
            throw Error(null, "missing \"records\": the document has no records array", _tokens.BytesConsumed);
        _inRecords = true;
    }

    /// <summary>Reads properties of the root object; true when positioned inside "records", false at the root's end.</summary>
    private bool ReadHeaderUntilRecords()
    {
        while (true)
        {
            ReadOrThrow("in the document");
            if (_tokens.TokenType == JsonTokenType.EndObject) return false;
            // property name at depth 1
            if (_tokens.ValueEquals(BackupFormat.ChangesField))
            {
                ReadOrThrow("after \"changes\"");
                if (!_allowIncremental) throw IncrementalRefused();
                if (_tokens.TokenType != JsonTokenType.StartArray)
                    throw Error(null, $"\"changes\" must be an array, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
                if (_sawRecords) throw Error(null, "\"changes\" appears twice, or with a \"records\" array", _tokens.TokenOffset);
                _sawRecords = true;
                IsIncremental = true;
                return true;
            }
            if (_tokens.ValueEquals(BackupFormat.RecordsField) && IsIncrementalVersion)
            {
                // the note an incremental file holds here for readers that ignore "version"
                ReadOrThrow("after \"records\"");
                _tokens.Skip();
                continue;
            }
            if (_tokens.ValueEquals(BackupFormat.KindField) || _tokens.ValueEquals(BackupFormat.BaseField))
            {
                bool isKind = _tokens.ValueEquals(BackupFormat.KindField);
                if (!_seenMembers.Add(isKind ? "kind" : "base"))
                {
                    _fileProblems.Add($"\"{(isKind ? "kind" : "base")}\" appears twice");
                    ReadOrThrow("in the document");
                    _tokens.Skip();
                }
                else if (isKind) ReadKind();
                else ReadBase();
                continue;
            }
            if (_tokens.ValueEquals(BackupFormat.RecordsField))
            {
                ReadOrThrow("after \"records\"");
                if (_tokens.TokenType != JsonTokenType.StartArray)
                    throw Error(null, $"\"records\" must be an array, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
                if (_sawRecords) throw Error(null, "\"records\" appears twice", _tokens.TokenOffset);
                _sawRecords = true;
                return true;
            }
            string? member = _tokens.ValueEquals(BackupFormat.VersionField) ? "version"
                : _tokens.ValueEquals(BackupFormat.CreatedAtField) ? "created_at"
                : _tokens.ValueEquals(BackupFormat.TotalRecordsField) ? "total_records"
                : _tokens.ValueEquals(BackupFormat.TotalChangesField) ? "total_changes"
                : _tokens.ValueEquals(BackupFormat.ChecksumField) ? "checksum" : null;
            if (member is not null && !_seenMembers.Add(member))
            {
                // the first occurrence counts: a second one must not replace a failing checksum or count
                _fileProblems.Add($"\"{member}\" appears twice");
                ReadOrThrow("in the document");
                _tokens.Skip();
            }
            else if (member == "version") ReadVersion();
            else if (member == "created_at") ReadCreatedAt();
            else if (member is "total_records" or "total_changes") ReadTotal(member);
            else if (member == "checksum") ReadChecksum();
            else if (_tokens.ValueEquals(BackupFormat.PrefixField)) _prefixText = ReadHeaderString("prefix");
            else if (_tokens.ValueEquals(BackupFormat.PrefixEncodingField)) _prefixEncoding = ReadHeaderString("prefix_encoding");
            else
            {
                ReadOrThrow("in the document");
                _tokens.Skip();
            }
        }
    }

    private string? _prefixText, _prefixEncoding;

    /// <summary>
    /// The key prefix a partial backup was taken with (extension fields "prefix" and "prefix_encoding"), null for a
    /// whole backup; a problem with them is a file problem.
    /// </summary>
    public byte[]? Prefix
    {
        get
        {
            if (_prefixText is null) return null;
            if (_prefixEncoding is null or "text") return Encoding.UTF8.GetBytes(_prefixText);
            if (_prefixEncoding == "base64")
            {
                try { return Convert.FromBase64String(_prefixText); }
                catch (FormatException) { }
            }
            return null;
        }
    }

    /// <summary>What is wrong with "prefix"/"prefix_encoding", or null.</summary>
    public string? PrefixProblem =>
        _prefixText is null ? (_prefixEncoding is null ? null : "\"prefix_encoding\" without \"prefix\"")
        : _prefixEncoding is not (null or "text" or "base64") ? $"unknown \"prefix_encoding\" \"{_prefixEncoding}\""
        : Prefix is null ? "\"prefix\" is not valid base64" : null;

    private string? ReadHeaderString(string field)
    {
        ReadOrThrow($"after \"{field}\"");
        if (_tokens.TokenType == JsonTokenType.String) return Encoding.UTF8.GetString(_tokens.Value);
        _fileProblems.Add($"\"{field}\" must be a string, not {Describe(_tokens.TokenType)}");
        _tokens.Skip();
        return null;
    }

    private void ReadVersion()
    {
        ReadOrThrow("after \"version\"");
        if (_tokens.TokenType != JsonTokenType.String)
            throw Error(null, $"\"version\" must be a string like \"1.0\", not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
        string v = Encoding.UTF8.GetString(_tokens.Value);
        string major = v.Split('.')[0];
        if (!int.TryParse(major, NumberStyles.None, CultureInfo.InvariantCulture, out int m))
            throw Error(null, $"\"version\" \"{v}\" is not a version number like \"1.0\"", _tokens.TokenOffset);
        if (m == BackupFormat.IncrementalMajor && !_allowIncremental) throw IncrementalRefused();
        if (m != BackupFormat.SupportedMajor && m != BackupFormat.IncrementalMajor)
            throw Error(null, $"unsupported backup format version \"{v}\": this build reads version {BackupFormat.SupportedMajor}.x (and {BackupFormat.IncrementalMajor}.x incremental backups)", _tokens.TokenOffset);
        _versionMajor = m;
        Version = v;
    }

    private void ReadCreatedAt()
    {
        ReadOrThrow("after \"created_at\"");
        if (_tokens.TokenType != JsonTokenType.String)
        {
            _fileProblems.Add($"\"created_at\" must be an RFC 3339 string, not {Describe(_tokens.TokenType)}");
            _tokens.Skip();
            return;
        }
        string s = Encoding.UTF8.GetString(_tokens.Value);
        if (TryParseTimestamp(s, out var t)) CreatedAt = t;
        else _fileProblems.Add($"\"created_at\" \"{s}\" is not an RFC 3339 timestamp");
    }

    /// <summary>RFC 3339: date, 'T' (or space), time, optional fraction (any number of digits), 'Z' or an offset.</summary>
    internal static bool TryParseTimestamp(string s, out DateTimeOffset value)
    {
        // .NET parses at most 7 fraction digits; Go writes up to 9
        int dot = s.IndexOf('.');
        if (dot > 0)
        {
            int end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end])) end++;
            if (end - dot - 1 > 7) s = s[..(dot + 8)] + s[end..];
        }
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value)
            && s.Length >= 19 && (s[10] is 'T' or 't' or ' ');
    }

    private void ReadTotal(string member)
    {
        ReadOrThrow($"after \"{member}\"");
        if (_tokens.TokenType != JsonTokenType.Number || !_tokens.TryGetInt64(out long n) || n < 0)
            throw Error(null, $"\"{member}\" must be a non-negative integer, not {Describe(_tokens.TokenType)} {Shown()}", _tokens.TokenOffset);
        if (_totalMember is null) { DeclaredRecords = n; _totalMember = member; }
        else _fileProblems.Add("a document has \"total_records\" or \"total_changes\", not both");
    }

    private string? _totalMember;

    private bool IsIncrementalVersion => _versionMajor == BackupFormat.IncrementalMajor;
    private int _versionMajor;

    private SkvBackupException IncrementalRefused() => Error(null,
        "this is an incremental backup (version 2.0): restore or verify it after its base, e.g. `restore <db> <full> <incremental...>` (SkvBackup.Restore with the chain)",
        _tokens.TokenOffset);

    private void ReadKind()
    {
        ReadOrThrow("after \"kind\"");
        if (_tokens.TokenType != JsonTokenType.String)
            throw Error(null, $"\"kind\" must be a string, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
        Kind = Encoding.UTF8.GetString(_tokens.Value);
    }

    private void ReadBase()
    {
        ReadOrThrow("after \"base\"");
        if (_tokens.TokenType != JsonTokenType.StartObject)
            throw Error(null, $"\"base\" must be an object {{\"file\",\"created_at\",\"checksum\"}}, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
        string? file = null, checksum = null;
        DateTimeOffset? createdAt = null;
        while (true)
        {
            ReadOrThrow("in \"base\"");
            if (_tokens.TokenType == JsonTokenType.EndObject) break;
            int field = _tokens.ValueEquals(BackupFormat.BaseFileField) ? 1 : _tokens.ValueEquals(BackupFormat.CreatedAtField) ? 2 : _tokens.ValueEquals(BackupFormat.ChecksumField) ? 3 : 0;
            ReadOrThrow("in \"base\"");
            if (field == 3 && _tokens.TokenType == JsonTokenType.StartObject)
            {
                while (true)
                {
                    ReadOrThrow("in \"base\"");
                    if (_tokens.TokenType == JsonTokenType.EndObject) break;
                    bool isValue = _tokens.ValueEquals(BackupFormat.ChecksumValueField);
                    bool isAlgorithm = _tokens.ValueEquals(BackupFormat.AlgorithmField);
                    ReadOrThrow("in \"base\"");
                    if (isValue && _tokens.TokenType == JsonTokenType.String) checksum = Encoding.UTF8.GetString(_tokens.Value);
                    else if (isAlgorithm && !(_tokens.TokenType == JsonTokenType.String && _tokens.ValueEquals("xxh3-64"u8)))
                        throw Error(null, "\"base\" names its checksum with an unknown algorithm", _tokens.TokenOffset);
                    else _tokens.Skip();
                }
                continue;
            }
            if (field == 0) { _tokens.Skip(); continue; }
            if (_tokens.TokenType != JsonTokenType.String)
                throw Error(null, $"\"base\" fields must be strings, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
            string text = Encoding.UTF8.GetString(_tokens.Value);
            if (field == 1) file = text;
            else if (TryParseTimestamp(text, out var t)) createdAt = t;
            else throw Error(null, $"\"base\" has \"created_at\" \"{text}\", not an RFC 3339 timestamp", _tokens.TokenOffset);
        }
        if (file is null || createdAt is null || checksum is null)
            throw Error(null, "\"base\" must name the base's \"file\", \"created_at\" and \"checksum\"", _tokens.TokenOffset);
        Base = new BackupLink(file, createdAt.Value, checksum);
    }

    private void ReadChecksum()
    {
        ReadOrThrow("after \"checksum\"");
        if (_tokens.TokenType != JsonTokenType.StartObject)
            throw Error(null, $"\"checksum\" must be an object {{\"algorithm\",\"value\"}}, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
        string? algorithm = null, value = null;
        while (true)
        {
            ReadOrThrow("in \"checksum\"");
            if (_tokens.TokenType == JsonTokenType.EndObject) break;
            bool isAlgorithm = _tokens.ValueEquals(BackupFormat.AlgorithmField);
            bool isValue = _tokens.ValueEquals(BackupFormat.ChecksumValueField);
            ReadOrThrow("in \"checksum\"");
            if ((isAlgorithm || isValue) && _tokens.TokenType != JsonTokenType.String)
                throw Error(null, $"\"checksum\" fields must be strings, not {Describe(_tokens.TokenType)}", _tokens.TokenOffset);
            if ((isAlgorithm && algorithm is not null) || (isValue && value is not null))
                _fileProblems.Add($"\"checksum\" has \"{(isAlgorithm ? "algorithm" : "value")}\" twice");
            else if (isAlgorithm) algorithm = Encoding.UTF8.GetString(_tokens.Value);
            else if (isValue) value = Encoding.UTF8.GetString(_tokens.Value);
            else _tokens.Skip();
        }
        if (value is null) throw Error(null, "\"checksum\" has no \"value\"", _tokens.TokenOffset);
        ChecksumAlgorithm = algorithm ?? BackupFormat.ChecksumAlgorithm;
        ChecksumValue = value;
    }

    private void Finish()
    {
        _done = true;
        if (!_legacy)
        {
            if (ReadHeaderUntilRecords()) throw Error(null, "\"records\" appears twice", _tokens.TokenOffset);
            if (Version is null) _fileProblems.Add("missing \"version\"");
            if (IsIncremental || IsIncrementalVersion)
            {
                if (!IsIncremental) _fileProblems.Add("a version 2 document must hold \"changes\"");
                else if (!IsIncrementalVersion) _fileProblems.Add($"\"changes\" needs version {BackupFormat.IncrementalVersion}, not \"{Version}\"");
                if (Kind != BackupFormat.IncrementalKind) _fileProblems.Add($"an incremental document must have \"kind\": \"{BackupFormat.IncrementalKind}\"");
                if (Base is null) _fileProblems.Add("an incremental document must name its \"base\"");
                if (_totalMember == "total_records") _fileProblems.Add("an incremental document counts its changes in \"total_changes\"");
            }
            else if (_totalMember == "total_changes") _fileProblems.Add("\"total_changes\" belongs to incremental documents");
            if (DeclaredRecords is null) _fileProblems.Add(IsIncremental ? "missing \"total_changes\"" : "missing \"total_records\"");
            else if (DeclaredRecords != Records)
                _fileProblems.Add($"\"{_totalMember}\" says {DeclaredRecords} but the file holds {Records} {(IsIncremental ? "changes" : "records")}");
            if (ChecksumValue is not null && string.Equals(ChecksumAlgorithm, BackupFormat.ChecksumAlgorithm, StringComparison.OrdinalIgnoreCase))
            {
                string actual = _checksum.Hex;
                ChecksumValid = string.Equals(actual, ChecksumValue, StringComparison.OrdinalIgnoreCase);
                if (ChecksumValid == false)
                    _fileProblems.Add($"checksum mismatch: the file says {ChecksumAlgorithm} {ChecksumValue}, its records hash to {actual}");
            }
        }
        // nothing may follow the root value (whitespace only)
        if (Read()) throw Error(null, $"unexpected {Describe(_tokens.TokenType)} after the end of the document", _tokens.TokenOffset);
    }

    // ------------------------------------------------------------------ records

    private enum Enc : byte { Missing, Text, Base64, Unknown }

    private void ReadRecord()
    {
        RecordProblem = null;
        _keyLength = _valueLength = 0;
        _keyFromDecoded = _valueFromDecoded = _valueInStreamed = false;
        _streamedField = 0;
        if (_tokens.TokenType != JsonTokenType.StartObject)
        {
            RecordProblem = $"a record must be an object, not {Describe(_tokens.TokenType)}";
            _tokens.Skip();
            return;
        }

        IsDelete = false;
        bool hasKey = false, hasValue = false, hasValueB64 = false, hasOp = false;
        string? badOp = null;
        bool? isBinary = null;
        Enc enc = Enc.Missing, keyEnc = Enc.Missing;
        string? unknownEnc = null, unknownKeyEnc = null, typeProblem = null;

        while (true)
        {
            ReadOrThrow("inside a record");
            if (_tokens.TokenType == JsonTokenType.EndObject) break;
            int field =
                _tokens.ValueEquals(BackupFormat.KeyField) ? 1 :
                _tokens.ValueEquals(BackupFormat.ValueField) ? 2 :
                _tokens.ValueEquals(BackupFormat.EncodingField) ? 3 :
                _tokens.ValueEquals(BackupFormat.KeyEncodingField) ? 4 :
                _legacy && _tokens.ValueEquals(BackupFormat.LegacyValueB64Field) ? 5 :
                _legacy && _tokens.ValueEquals(BackupFormat.LegacyIsBinaryField) ? 6 :
                IsIncremental && _tokens.ValueEquals(BackupFormat.OpField) ? 7 : 0;
            // the value itself: a large string streams to _streamed (values) or nowhere (other fields)
            bool collects = field is 2 or 5;
            _streamBegun = false;
            _streamDecodes = field == 5 || enc == Enc.Base64;
            bool read;
            try { read = _tokens.ReadValue(collects ? _collectPiece : _discardPiece); }
            catch (InvalidOperationException ex) { throw new JsonException(ex.Message, ex); }
            if (!read) throw new JsonException("unexpected end of file inside a record (truncated file?)");
            var type = _tokens.TokenType;
            if (type == JsonTokenType.String && _tokens.IsStreamed)
            {
                switch (field)
                {
                    case 2 or 5:
                        if (!_streamBegun) _streamed.Begin(_streamDecodes, _maxValueBytes); // (cannot happen: a streamed string has content)
                        _streamed.Finish();
                        _streamedField = field;
                        if (field == 2) hasValue = true; else hasValueB64 = true;
                        break;
                    case 1: typeProblem ??= $"the key is longer than {RecordFormat.MaxKeyLength} bytes"; hasKey = true; break;
                    case 3: enc = Enc.Unknown; unknownEnc = "(a very long string)"; break;
                    case 4: keyEnc = Enc.Unknown; unknownKeyEnc = "(a very long string)"; break;
                }
                continue;
            }
            if (field == 0)
            {
                _tokens.Skip();
                continue;
            }
            if (field == 6)
            {
                if (type is JsonTokenType.True or JsonTokenType.False) isBinary = type == JsonTokenType.True;
                else typeProblem ??= $"\"is_binary\" must be true or false, not {Describe(type)}";
                continue;
            }
            if (type != JsonTokenType.String)
            {
                typeProblem ??= $"\"{FieldName(field)}\" must be a string, not {Describe(type)}";
                _tokens.Skip();
                continue;
            }
            switch (field)
            {
                case 1: Copy(_tokens.Value, ref _keyRaw, out _keyRawLength); hasKey = true; break;
                case 2: Copy(_tokens.Value, ref _valueRaw, out _valueRawLength); hasValue = true; break;
                case 3: enc = ParseEncoding(_tokens.Value, out unknownEnc); break;
                case 4: keyEnc = ParseEncoding(_tokens.Value, out unknownKeyEnc); break;
                case 5: Copy(_tokens.Value, ref _valueB64, out _valueB64Length); hasValueB64 = true; break;
                case 7:
                    hasOp = true;
                    if (_tokens.ValueEquals(BackupFormat.DeleteOp)) IsDelete = true;
                    else if (!_tokens.ValueEquals(BackupFormat.Put)) badOp = Shown();
                    break;
            }
        }

        if (typeProblem is not null) { RecordProblem = typeProblem; return; }
        if (!hasKey) { RecordProblem = "missing \"key\""; return; }
        if (IsIncremental)
        {
            if (!hasOp) { RecordProblem = "missing \"op\" (expected \"put\" or \"delete\")"; return; }
            if (badOp is not null) { RecordProblem = $"unknown \"op\" \"{badOp}\" (expected \"put\" or \"delete\")"; return; }
            if (IsDelete && (hasValue || enc != Enc.Missing)) { RecordProblem = "a \"delete\" has no \"value\" or \"encoding\""; return; }
        }

        // key
        if (keyEnc == Enc.Unknown) { RecordProblem = $"unknown \"key_encoding\" \"{unknownKeyEnc}\" (expected \"text\" or \"base64\")"; return; }
        if (keyEnc == Enc.Base64)
        {
            if (!DecodeBase64(_keyRaw.AsSpan(0, _keyRawLength), ref _keyDecoded, out _keyLength))
            { RecordProblem = "bad base64 in \"key\""; return; }
            _keyFromDecoded = true;
        }
        else
        {
            _keyLength = _keyRawLength;
            if (!Utf8.IsValid(Key)) { RecordProblem = "invalid UTF-8 in text \"key\""; _keyLength = 0; return; }
        }
        if (_keyLength is 0 or > RecordFormat.MaxKeyLength)
        { RecordProblem = $"the key is {_keyLength} bytes; keys must be 1 to {RecordFormat.MaxKeyLength} bytes"; return; }

        if (IsDelete)
        {
            _checksum.AddDelete(Key);
            return;
        }

        // value
        // a legacy array record with "encoding" (e.g. `jq .records backup.json`) follows the document's rules
        if (_legacy && enc != Enc.Missing && (isBinary == true || hasValueB64))
        { RecordProblem = "a record has both \"encoding\" and \"is_binary\"/\"value_b64\""; return; }
        if (_legacy && enc == Enc.Missing)
        {
            if (isBinary == true || (!hasValue && hasValueB64))
            {
                if (!hasValueB64) { RecordProblem = "missing \"value_b64\" (\"is_binary\" is true)"; return; }
                if (_streamedField == 5)
                {
                    if (StreamedProblem("value_b64") is { } p) { RecordProblem = p; return; }
                }
                else if (!DecodeBase64(_valueB64.AsSpan(0, _valueB64Length), ref _valueDecoded, out _valueLength))
                { RecordProblem = "bad base64 in \"value_b64\""; return; }
                else _valueFromDecoded = true;
                ValueIsText = false;
            }
            else
            {
                if (!hasValue) { RecordProblem = "missing \"value\""; return; }
                if (_streamedField == 2) { if (StreamedProblem("value") is { } p) { RecordProblem = p; return; } }
                else _valueLength = _valueRawLength;
                if (!Utf8.IsValid(Value)) { RecordProblem = "invalid UTF-8 in text \"value\""; _valueLength = 0; _valueInStreamed = false; return; }
                ValueIsText = true;
            }
        }
        else
        {
            if (!hasValue) { RecordProblem = "missing \"value\""; return; }
            switch (enc)
            {
                case Enc.Missing:
                    RecordProblem = "missing \"encoding\" (expected \"text\" or \"base64\")";
                    return;
                case Enc.Unknown:
                    RecordProblem = $"unknown \"encoding\" \"{unknownEnc}\" (expected \"text\" or \"base64\")";
                    return;
                case Enc.Base64:
                    if (_streamedField == 2)
                    {
                        if (!_streamed.Decoded) _streamed.DecodeInPlace(); // "encoding" came after the value
                        if (StreamedProblem("value") is { } p) { RecordProblem = p; return; }
                    }
                    else if (!DecodeBase64(_valueRaw.AsSpan(0, _valueRawLength), ref _valueDecoded, out _valueLength))
                    { RecordProblem = "bad base64 in \"value\""; return; }
                    else _valueFromDecoded = true;
                    ValueIsText = false;
                    break;
                default:
                    if (_streamedField == 2)
                    {
                        if (_streamed.Decoded) { RecordProblem = "\"encoding\" is given twice"; return; }
                        if (StreamedProblem("value") is { } p) { RecordProblem = p; return; }
                    }
                    else _valueLength = _valueRawLength;
                    if (!Utf8.IsValid(Value)) { RecordProblem = "invalid UTF-8 in text \"value\""; _valueLength = 0; _valueInStreamed = false; return; }
                    ValueIsText = true;
                    break;
            }
        }
        if (_valueLength > _maxValueBytes)
        { RecordProblem = $"the value is {_valueLength} bytes; values must be at most {_maxValueBytes} bytes"; return; }

        _checksum.Add(Key, Value);
    }

    /// <summary>The problem of a streamed value, or null: then it is the current value.</summary>
    private string? StreamedProblem(string field)
    {
        if (_streamed.BadBase64) return $"bad base64 in \"{field}\"";
        if (_streamed.TooLarge || _streamed.Length > _maxValueBytes)
            return $"the value is more than {_maxValueBytes} bytes; values must be at most {_maxValueBytes} bytes (the rest of it was not read into memory)";
        _valueInStreamed = true;
        _valueLength = _streamed.Length;
        return null;
    }

    private static string FieldName(int field) => field switch
    {
        1 => "key",
        2 => "value",
        3 => "encoding",
        4 => "key_encoding",
        5 => "value_b64",
        7 => "op",
        _ => "is_binary",
    };

    private static Enc ParseEncoding(ReadOnlySpan<byte> s, out string? unknown)
    {
        unknown = null;
        if (s.SequenceEqual(BackupFormat.Text)) return Enc.Text;
        if (s.SequenceEqual(BackupFormat.Base64)) return Enc.Base64;
        unknown = Encoding.UTF8.GetString(s);
        return Enc.Unknown;
    }

    private static void Copy(ReadOnlySpan<byte> source, ref byte[] dest, out int length)
    {
        if (dest.Length < source.Length) dest = new byte[Math.Max(source.Length, Math.Min(dest.Length * 2, Array.MaxLength))];
        source.CopyTo(dest);
        length = source.Length;
    }

    /// <summary>JSON whitespace, which the BCL's base64 decoder skips since .NET 8 and the format does not allow.</summary>
    private static readonly System.Buffers.SearchValues<byte> Base64Whitespace = System.Buffers.SearchValues.Create(" \t\r\n"u8);

    private static bool DecodeBase64(ReadOnlySpan<byte> base64, ref byte[] dest, out int length)
    {
        length = 0;
        if (base64.ContainsAny(Base64Whitespace)) return false;
        int max = Base64.GetMaxDecodedFromUtf8Length(base64.Length);
        if (dest.Length < max) dest = new byte[Math.Max(max, Math.Min(dest.Length * 2, Array.MaxLength))];
        var status = Base64.DecodeFromUtf8(base64, dest, out int consumed, out length);
        return status == System.Buffers.OperationStatus.Done && consumed == base64.Length;
    }

    private string Shown()
    {
        var v = _tokens.Value;
        return v.Length > 40 ? Encoding.UTF8.GetString(v[..40]) + "..." : Encoding.UTF8.GetString(v);
    }

    private static string Describe(JsonTokenType t) => t switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        JsonTokenType.EndArray => "']'",
        JsonTokenType.EndObject => "'}'",
        _ => t.ToString(),
    };

    public void Dispose()
    {
        _tokens.Dispose();
        _streamed.Dispose();
    }
}
