using System.Text.Json;
using System.Text.Unicode;

namespace TypedSkv.Backup;

/// <summary>
/// Writes one backup document to a stream, record by record, in constant memory: the JSON writer is flushed to
/// the stream whenever <see cref="BackupFormat.WriterFlushThreshold"/> bytes are pending.
/// </summary>
internal sealed class BackupWriter : IDisposable
{
    private readonly Utf8JsonWriter _json;
    private readonly RecordsChecksum _checksum = new();
    private readonly IProgress<SkvBackupProgress>? _progress;
    private readonly long _total;
    private long _records;

    private readonly bool _incremental;

    public BackupWriter(Stream stream, long totalRecords, DateTimeOffset createdAt, bool indented, IProgress<SkvBackupProgress>? progress,
        ReadOnlySpan<byte> prefix = default)
        : this(stream, totalRecords, createdAt, indented, progress, baseLink: null, prefix)
    {
    }

    /// <summary>An incremental document (version 2): changes against <paramref name="baseLink"/>, counted at the end.</summary>
    public static BackupWriter Incremental(Stream stream, DateTimeOffset createdAt, BackupLink baseLink, bool indented, IProgress<SkvBackupProgress>? progress) =>
        new(stream, 0, createdAt, indented, progress, baseLink, default);

    private BackupWriter(Stream stream, long totalRecords, DateTimeOffset createdAt, bool indented, IProgress<SkvBackupProgress>? progress, BackupLink? baseLink,
        ReadOnlySpan<byte> prefix)
    {
        _total = totalRecords;
        _progress = progress;
        _incremental = baseLink is not null;
        _json = new Utf8JsonWriter(stream, new JsonWriterOptions
        {
            Encoder = Utf8JsonTextEncoder.Instance,
            Indented = indented,
            SkipValidation = true, // the shape is fixed by this class
        });
        _json.WriteStartObject();
        _json.WriteString(BackupFormat.VersionField, _incremental ? BackupFormat.IncrementalVersion : BackupFormat.Version);
        if (_incremental) _json.WriteString(BackupFormat.KindField, BackupFormat.IncrementalKind);
        _json.WriteString(BackupFormat.CreatedAtField, Timestamp(createdAt));
        if (baseLink is not null)
        {
            _json.WritePropertyName(BackupFormat.BaseField);
            _json.WriteStartObject();
            _json.WriteString(BackupFormat.BaseFileField, baseLink.File);
            _json.WriteString(BackupFormat.CreatedAtField, Timestamp(baseLink.CreatedAt));
            WriteChecksum(baseLink.Checksum);
            _json.WriteEndObject();
            _json.WriteString(BackupFormat.RecordsField, BackupFormat.IncrementalRecordsNote);
            _json.WritePropertyName(BackupFormat.ChangesField);
        }
        else
        {
            _json.WriteNumber(BackupFormat.TotalRecordsField, totalRecords);
            if (!prefix.IsEmpty)
            {
                // a partial backup says so: verify --db then compares only the prefix
                if (Utf8.IsValid(prefix)) _json.WriteString(BackupFormat.PrefixField, prefix);
                else
                {
                    _json.WriteBase64String(BackupFormat.PrefixField, prefix);
                    _json.WriteString(BackupFormat.PrefixEncodingField, BackupFormat.Base64);
                }
            }
            _json.WritePropertyName(BackupFormat.RecordsField);
        }
        _json.WriteStartArray();
    }

    internal static string Timestamp(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);

    private void WriteChecksum(string hex)
    {
        _json.WritePropertyName(BackupFormat.ChecksumField);
        _json.WriteStartObject();
        _json.WriteString(BackupFormat.AlgorithmField, BackupFormat.ChecksumAlgorithm);
        _json.WriteString(BackupFormat.ChecksumValueField, hex);
        _json.WriteEndObject();
    }

    /// <summary>A deletion (incremental documents only).</summary>
    public void WriteDelete(ReadOnlySpan<byte> key)
    {
        _json.WriteStartObject();
        _json.WriteString(BackupFormat.OpField, BackupFormat.DeleteOp);
        WriteKey(key);
        _json.WriteEndObject();
        _checksum.AddDelete(key);
        Counted();
    }

    private bool WriteKey(ReadOnlySpan<byte> key)
    {
        bool keyIsText = Utf8.IsValid(key);
        if (keyIsText) _json.WriteString(BackupFormat.KeyField, key);
        else _json.WriteBase64String(BackupFormat.KeyField, key);
        if (!keyIsText && _incremental) _json.WriteString(BackupFormat.KeyEncodingField, BackupFormat.Base64);
        return keyIsText;
    }

    private void Counted()
    {
        _records++;
        if (_json.BytesPending >= BackupFormat.WriterFlushThreshold) _json.Flush();
        if (_progress is not null && _records % BackupFormat.ProgressInterval == 0)
            _progress.Report(new SkvBackupProgress(_records, Bytes, _total));
    }

    public long Records => _records;

    /// <summary>Uncompressed JSON bytes produced so far.</summary>
    public long Bytes => _json.BytesCommitted + _json.BytesPending;

    public void Write(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _json.WriteStartObject();
        if (_incremental) _json.WriteString(BackupFormat.OpField, BackupFormat.Put);
        bool keyIsText = WriteKey(key);
        bool valueIsText = IsReadableText(value);
        if (value.Length > BackupFormat.ValueSegmentSize)
        {
            // "encoding" first, so that a reader can decode the (streamed) value as it arrives and hold it only once
            _json.WriteString(BackupFormat.EncodingField, valueIsText ? BackupFormat.Text : BackupFormat.Base64);
            WriteLargeValue(value, valueIsText);
        }
        else
        {
            if (valueIsText) _json.WriteString(BackupFormat.ValueField, value);
            else _json.WriteBase64String(BackupFormat.ValueField, value);
            _json.WriteString(BackupFormat.EncodingField, valueIsText ? BackupFormat.Text : BackupFormat.Base64);
        }
        if (!keyIsText && !_incremental) _json.WriteString(BackupFormat.KeyEncodingField, BackupFormat.Base64);
        _json.WriteEndObject();
        _checksum.Add(key, value);
        Counted();
    }

    /// <summary>
    /// Text when the value is valid UTF-8 and its JSON escapes would not make it bigger than base64 would (4/3):
    /// bytes such as 01 02 03 04 are valid UTF-8 but six times larger as "\u0001...", and a value made of escapes
    /// could grow past what a reader can take as one token. The seed's own example writes those bytes as base64.
    /// </summary>
    internal static bool IsReadableText(ReadOnlySpan<byte> value)
    {
        if (!Utf8.IsValid(value)) return false;
        long extra = 0, budget = value.Length / 3 + 8;
        var rest = value;
        while (true)
        {
            int i = rest.IndexOfAny(Utf8JsonTextEncoder.MustEscape);
            if (i < 0) return true;
            extra += rest[i] < 0x20 ? 5 : 1;
            if (extra > budget) return false;
            rest = rest[(i + 1)..];
        }
    }

    /// <summary>
    /// A large value goes out in segments, flushed one by one: Utf8JsonWriter refuses single string values
    /// above ~166 MB (text) / ~125 MB (base64), and the writer's buffer stays small.
    /// </summary>
    private void WriteLargeValue(ReadOnlySpan<byte> value, bool isText)
    {
        _json.WritePropertyName(BackupFormat.ValueField);
        int segment = BackupFormat.ValueSegmentSize;
        for (int offset = 0; offset < value.Length; offset += segment)
        {
            var part = value.Slice(offset, Math.Min(segment, value.Length - offset));
            bool last = offset + part.Length == value.Length;
            if (isText) _json.WriteStringValueSegment(part, last);
            else _json.WriteBase64StringSegment(part, last);
            _json.Flush();
        }
    }

    /// <summary>Closes the document (checksum trailer) and flushes; returns the checksum hex.</summary>
    public string Complete()
    {
        _json.WriteEndArray();
        string hex = _checksum.Hex;
        if (_incremental) _json.WriteNumber(BackupFormat.TotalChangesField, _records);
        WriteChecksum(hex);
        _json.WriteEndObject();
        _json.Flush();
        _progress?.Report(new SkvBackupProgress(_records, Bytes, _total));
        return hex;
    }

    public void Dispose() => _json.Dispose();
}
