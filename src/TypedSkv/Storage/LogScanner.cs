using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>What opening a data file found.</summary>
internal sealed record ScanResult(
    KeyIndex.Node Root,
    long Count,
    long FileRecords,
    long LiveBytes,
    long ValidEnd,
    long TornBytes,
    int DiscardedBatchRecords,
    string? TornReason);

/// <summary>
/// Replays the log into a fresh index, checking every record's checksum. Stops at the first record that is
/// incomplete or fails its checksum; if nothing valid follows it, that is a torn tail (a crash mid-append) and
/// the caller truncates it; if a valid record follows, the file is damaged and <see cref="SkvCorruptionException"/>
/// is raised rather than guessing. Batch records count only once their Commit record is read.
/// </summary>
internal sealed class LogScanner
{
    private readonly string _path;
    private readonly WindowReader _reader;
    private readonly long _length;

    private LogScanner(string path, SafeFileHandle handle, long length)
    {
        _path = path;
        _length = length;
        _reader = new WindowReader(handle, length);
    }

    public static ScanResult Scan(string path, SafeFileHandle handle, long length, bool dropDamagedTail = false) =>
        new LogScanner(path, handle, length).Run(dropDamagedTail);

    private ScanResult Run(bool dropDamagedTail)
    {
        var owner = new object();
        KeyIndex.Node root = KeyIndex.Empty;
        long count = 0, fileRecords = 0, liveBytes = 0;
        List<(RecordKind Kind, byte[] Key, IndexEntry Entry)>? batch = null;
        long batchStart = -1;
        long pos = RecordFormat.FileHeaderSize;
        string? badReason = null;

        while (pos < _length)
        {
            if (!TryReadRecord(pos, out var h, out int commitCount, out badReason)) break;
            // the key is read from the window only now: the index copies it, only a pending batch keeps its own copy
            var key = _reader.Read(pos + RecordFormat.HeaderSize, h.KeyLength);
            fileRecords++;
            var entry = new IndexEntry(pos, h.ValueLength);
            if ((h.Flags & RecordFlags.InBatch) != 0)
            {
                if (batch is null) { batch = []; batchStart = pos; }
                batch.Add((h.Kind, key.ToArray(), entry));
            }
            else if (h.Kind == RecordKind.Commit)
            {
                int have = batch?.Count ?? 0;
                if (have != commitCount)
                    throw new SkvCorruptionException(_path, pos, $"batch commit record says {commitCount} records, {have} precede it");
                foreach (var (kind, k, e) in batch ?? [])
                    Apply(kind, k, e, ref root, ref count, ref liveBytes, owner);
                batch = null;
            }
            else
            {
                if (batch is not null)
                    throw new SkvCorruptionException(_path, pos, "record outside a batch that was never committed or rolled back");
                Apply(h.Kind, key, entry, ref root, ref count, ref liveBytes, owner);
            }
            pos += h.Size;
        }

        long validEnd = pos;
        if (pos < _length)
        {
            long next = FindValidRecordAfter(pos);
            if (next >= 0 && !dropDamagedTail)
                throw new SkvCorruptionException(_path, pos, $"{badReason}; a valid record follows at offset {next}, so this is damage, not a torn write (SkvOptions.DropDamagedTail cuts the file here)");
            if (next >= 0) badReason = $"{badReason} at offset {pos}; the valid records after it were dropped (DropDamagedTail)";
        }
        int discarded = 0;
        if (batch is not null)
        {
            discarded = batch.Count;
            fileRecords -= batch.Count;
            validEnd = batchStart;
            badReason ??= "batch without its commit record";
        }
        // the replay grew the tree by inserts in file order; rebuild it dense (full leaves, exact key arrays)
        root = KeyIndex.Build(KeyIndex.Range(root, null, null));
        return new ScanResult(root, count, fileRecords, liveBytes, validEnd, _length - validEnd, discarded,
            validEnd < _length ? badReason : null);
    }

    private static void Apply(RecordKind kind, ReadOnlySpan<byte> key, IndexEntry entry, ref KeyIndex.Node root, ref long count,
        ref long liveBytes, object owner)
    {
        switch (kind)
        {
            case RecordKind.Put:
                root = KeyIndex.Set(root, key, entry, owner, out var previous);
                liveBytes += RecordFormat.RecordSize(key.Length, entry.ValueLength);
                if (previous is { } p) liveBytes -= RecordFormat.RecordSize(key.Length, p.ValueLength);
                else count++;
                break;
            case RecordKind.Delete:
                root = KeyIndex.Remove(root, key, owner, out var removed);
                if (removed is { } r)
                {
                    count--;
                    liveBytes -= RecordFormat.RecordSize(key.Length, r.ValueLength);
                }
                break;
            case RecordKind.Clear:
                root = KeyIndex.Empty;
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
        h = RecordFormat.ReadHeader(_reader.Read(pos, RecordFormat.HeaderSize));
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
        if (HashBody(pos, h) != h.Hash)
        {
            problem = "record checksum mismatch";
            return false;
        }
        if (h.Kind == RecordKind.Commit)
            commitCount = BinaryPrimitives.ReadInt32LittleEndian(_reader.Read(pos + RecordFormat.HeaderSize, 4));
        problem = null;
        return true;
    }

    private ulong HashBody(long pos, in RecordFormat.Header h)
    {
        long bodyStart = pos + 8;
        long bodyLength = h.Size - 8;
        if (bodyLength <= WindowReader.WindowSize)
            return RecordFormat.Hash(_reader.Read(bodyStart, (int)bodyLength), pos);
        var hasher = new XxHash3(pos);
        for (long done = 0; done < bodyLength;)
        {
            int chunk = (int)Math.Min(WindowReader.WindowSize, bodyLength - done);
            hasher.Append(_reader.Read(bodyStart + done, chunk));
            done += chunk;
        }
        return hasher.GetCurrentHashAsUInt64();
    }

    /// <summary>Offset of the first intact record that starts after <paramref name="badOffset"/>, or -1.</summary>
    private long FindValidRecordAfter(long badOffset)
    {
        for (long p = badOffset + 1; p + RecordFormat.HeaderSize <= _length; p++)
        {
            var h = RecordFormat.ReadHeader(_reader.Read(p, RecordFormat.HeaderSize));
            if (!RecordFormat.IsPlausible(h) || p + h.Size > _length) continue;
            if (HashBody(p, h) == h.Hash) return p;
        }
        return -1;
    }

    /// <summary>Sequential reads through a large window, so a replay costs few system calls.</summary>
    private sealed class WindowReader(SafeFileHandle handle, long length)
    {
        public const int WindowSize = 1 << 20;
        private readonly byte[] _window = new byte[WindowSize + RecordFormat.HeaderSize];
        private long _start = -1;
        private int _filled;

        public ReadOnlySpan<byte> Read(long pos, int count)
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
                if (count > _filled) throw new EndOfStreamException();
            }
            return _window.AsSpan((int)(pos - _start), count);
        }
    }
}
