using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>
/// What opening a data file found. ValidEnd: end of the last intact record (bytes after it are a torn append, or
/// damage with DropDamagedTail). OpenBatchStart: offset of the first record of a batch with neither Commit nor Abort
/// after it, or -1; OpenBatchRecords: its records (they never take effect).
/// </summary>
internal sealed record ScanResult(
    IndexLayers Index,
    long Count,
    long FileRecords,
    long LiveBytes,
    long ValidEnd,
    long OpenBatchStart,
    int OpenBatchRecords,
    string? TornReason)
{
    /// <summary>End of the committed prefix: what a reader sees, and where a writer goes on (after closing an open batch).</summary>
    public long CommittedEnd => OpenBatchStart >= 0 ? OpenBatchStart : ValidEnd;
}

/// <summary>
/// Replays the log into a fresh index, checking every record's checksum. Stops at the first record that is
/// incomplete or fails its checksum; if nothing valid follows it, that is a torn tail (a crash mid-append); if a
/// valid record follows, the file is damaged and <see cref="SkvCorruptionException"/> is raised rather than guessing.
/// Batch records count only once their Commit record is read; an Abort record drops them.
/// A read-only scan may run while a new writer recovers the file (cuts a torn tail and appends after it): before it
/// calls anything damage, it reads the damaged record again, since by the time a valid record is visible after it,
/// a writer that was rewriting that range has finished it.
/// </summary>
internal sealed class LogScanner
{
    private readonly string _path;
    private readonly WindowReader _reader;
    private readonly long _length;
    private readonly bool _concurrentWriterPossible;

    private LogScanner(string path, SafeFileHandle handle, long length, bool concurrentWriterPossible)
    {
        _path = path;
        _length = length;
        _concurrentWriterPossible = concurrentWriterPossible;
        _reader = new WindowReader(handle, length);
    }

    /// <summary>
    /// Scans the file; <paramref name="concurrentWriterPossible"/> for a read-only scan (another process may write
    /// meanwhile). With <paramref name="start"/>, only the log after the checkpoint's covered end is replayed, on top of it.
    /// </summary>
    public static ScanResult Scan(string path, SafeFileHandle handle, long length, bool dropDamagedTail = false, bool concurrentWriterPossible = false,
        Checkpoint? start = null) =>
        new LogScanner(path, handle, length, concurrentWriterPossible).Run(dropDamagedTail, start);

    /// <summary>The index of the log's first <paramref name="end"/> bytes, all in memory (a damaged checkpoint's stand-in).</summary>
    public static KeyIndex.Node IndexUpTo(string path, SafeFileHandle handle, long end) => Scan(path, handle, end).Index.Active;

    private ScanResult Run(bool dropDamagedTail, Checkpoint? start)
    {
        var owner = new object();
        var index = IndexLayers.Over(start);
        long count = start?.Count ?? 0, fileRecords = start?.FileRecords ?? 0, liveBytes = start?.LiveBytes ?? 0;
        List<(RecordKind Kind, byte[] Key, IndexEntry Entry)>? batch = null;
        long batchStart = -1;
        long pos = start?.CoveredEnd ?? RecordFormat.FileHeaderSize;
        string? badReason = null;
        int rereads = 0;

        while (true)
        {
            while (pos < _length)
            {
                if (!TryReadRecord(pos, out var h, out int batchCount, out badReason)) break;
                // the key is read from the window only now: the index copies it, only a pending batch keeps its own copy
                if (!_reader.TryRead(pos + RecordFormat.HeaderSize, h.KeyLength, out var key)) { badReason = "record runs past the end of the file"; break; }
                fileRecords++;
                var entry = new IndexEntry(pos, h.ValueLength);
                if ((h.Flags & RecordFlags.InBatch) != 0)
                {
                    if (batch is null) { batch = []; batchStart = pos; }
                    batch.Add((h.Kind, key.ToArray(), entry));
                }
                else if (h.Kind is RecordKind.Commit or RecordKind.Abort)
                {
                    int have = batch?.Count ?? 0;
                    if (have != batchCount)
                        throw new SkvCorruptionException(_path, pos, $"batch {(h.Kind == RecordKind.Commit ? "commit" : "abort")} record says {batchCount} records, {have} precede it");
                    if (h.Kind == RecordKind.Commit)
                        foreach (var (kind, k, e) in batch ?? [])
                            Apply(kind, k, e, ref index, ref count, ref liveBytes, owner);
                    batch = null;
                    batchStart = -1;
                }
                else
                {
                    if (batch is not null)
                        throw new SkvCorruptionException(_path, pos, "record outside a batch that was never committed or rolled back");
                    Apply(h.Kind, key, entry, ref index, ref count, ref liveBytes, owner);
                }
                pos += h.Size;
            }
            if (pos >= _length) break;
            long next = FindValidRecordAfter(pos);
            if (next < 0) break; // a torn tail
            if (_concurrentWriterPossible && rereads++ < 1000)
            {
                // a writer may have rewritten [pos, next) since we read it: look again with fresh reads
                _reader.Invalidate();
                if (TryReadRecord(pos, out _, out _, out _)) continue;
            }
            if (!dropDamagedTail)
                throw new SkvCorruptionException(_path, pos, $"{badReason}; a valid record follows at offset {next}, so this is damage, not a torn write (SkvOptions.DropDamagedTail cuts the file here)");
            badReason = $"{badReason} at offset {pos}; the valid records after it were dropped (DropDamagedTail)";
            break;
        }

        long validEnd = pos;
        int open = batch?.Count ?? 0;
        if (open > 0) badReason ??= "batch without its commit record";
        // the replay grew the tree by inserts in file order; rebuild it dense (full leaves, exact key arrays)
        index = index.Densified();
        bool torn = validEnd < _length || open > 0;
        return new ScanResult(index, count, fileRecords - open, liveBytes, validEnd, open > 0 ? batchStart : -1, open,
            torn ? badReason : null);
    }

    private static void Apply(RecordKind kind, ReadOnlySpan<byte> key, IndexEntry entry, ref IndexLayers index, ref long count,
        ref long liveBytes, object owner)
    {
        switch (kind)
        {
            case RecordKind.Put:
                index = index.Put(key, entry, owner, out var previous);
                liveBytes += RecordFormat.RecordSize(key.Length, entry.ValueLength);
                if (previous is { } p) liveBytes -= RecordFormat.RecordSize(key.Length, p.ValueLength);
                else count++;
                break;
            case RecordKind.Delete:
                index = index.Delete(key, owner, out var removed);
                if (removed is { } r)
                {
                    count--;
                    liveBytes -= RecordFormat.RecordSize(key.Length, r.ValueLength);
                }
                break;
            case RecordKind.Clear:
                index = index.Clear();
                count = 0;
                liveBytes = 0;
                break;
        }
    }

    private bool TryReadRecord(long pos, out RecordFormat.Header h, out int commitCount, out string? problem)
    {
        commitCount = 0;
        h = default;
        if (_length - pos < RecordFormat.HeaderSize)
        {
            problem = "incomplete record header";
            return false;
        }
        if (!_reader.TryRead(pos, RecordFormat.HeaderSize, out var head))
        {
            problem = "incomplete record header (the file became shorter)";
            return false;
        }
        h = RecordFormat.ReadHeader(head);
        if (!RecordFormat.IsPlausible(h))
        {
            problem = $"invalid record header (kind {(byte)h.Kind}, key length {h.KeyLength}, value length {h.ValueLength})";
            return false;
        }
        if (pos + h.Size > _length)
        {
            problem = $"record of {h.Size} bytes runs past the end of the file";
            return false;
        }
        if (HashBody(pos, h) is not { } hash || hash != h.Hash)
        {
            problem = "record checksum mismatch";
            return false;
        }
        if (h.Kind is RecordKind.Commit or RecordKind.Abort)
        {
            if (!_reader.TryRead(pos + RecordFormat.HeaderSize, 4, out var countBytes))
            {
                problem = "record runs past the end of the file";
                return false;
            }
            commitCount = BinaryPrimitives.ReadInt32LittleEndian(countBytes);
        }
        problem = null;
        return true;
    }

    /// <summary>The record body's hash, or null when the file ends before the record does (it became shorter).</summary>
    private ulong? HashBody(long pos, in RecordFormat.Header h)
    {
        long bodyStart = pos + 8;
        long bodyLength = h.Size - 8;
        if (bodyLength <= WindowReader.WindowSize)
            return _reader.TryRead(bodyStart, (int)bodyLength, out var body) ? RecordFormat.Hash(body, pos) : null;
        var hasher = new XxHash3(pos);
        for (long done = 0; done < bodyLength;)
        {
            int chunk = (int)Math.Min(WindowReader.WindowSize, bodyLength - done);
            if (!_reader.TryRead(bodyStart + done, chunk, out var part)) return null;
            hasher.Append(part);
            done += chunk;
        }
        return hasher.GetCurrentHashAsUInt64();
    }

    /// <summary>Offset of the first intact record that starts after <paramref name="badOffset"/>, or -1.</summary>
    private long FindValidRecordAfter(long badOffset)
    {
        for (long p = badOffset + 1; p + RecordFormat.HeaderSize <= _length; p++)
        {
            if (!_reader.TryRead(p, RecordFormat.HeaderSize, out var head)) return -1;
            var h = RecordFormat.ReadHeader(head);
            if (!RecordFormat.IsPlausible(h) || p + h.Size > _length) continue;
            if (HashBody(p, h) is { } hash && hash == h.Hash) return p;
        }
        return -1;
    }

    /// <summary>
    /// Sequential reads through a large window, so a replay costs few system calls. A read the file cannot satisfy
    /// (it became shorter since the scan began: a writer cut a torn tail) is a false return, never an exception.
    /// </summary>
    private sealed class WindowReader(SafeFileHandle handle, long length)
    {
        public const int WindowSize = 1 << 20;
        private readonly byte[] _window = new byte[WindowSize + RecordFormat.HeaderSize];
        private long _start = -1;
        private int _filled;

        public void Invalidate() => _start = -1;

        public bool TryRead(long pos, int count, out ReadOnlySpan<byte> data)
        {
            if (_start < 0 || pos < _start || pos + count > _start + _filled)
            {
                _start = pos;
                int want = (int)Math.Min(_window.Length, length - pos);
                _filled = 0;
                while (_filled < want)
                {
                    int n = RandomAccess.Read(handle, _window.AsSpan(_filled, want - _filled), pos + _filled);
                    if (n <= 0) break;
                    _filled += n;
                }
                if (count > _filled)
                {
                    _start = -1;
                    data = default;
                    return false;
                }
            }
            data = _window.AsSpan((int)(pos - _start), count);
            return true;
        }
    }
}
