using System.Buffers.Binary;
using System.IO.Hashing;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>
/// A persisted, sorted, checksummed copy of the key index as of one offset of the data file (docs/file-format.md,
/// "Index checkpoint"): derived data, never trusted over the log. It lives in <c>&lt;data file&gt;.idx</c>, is
/// memory-mapped (its pages come from the page cache, so a store's private memory does not grow with its keys),
/// and binds to its data file by the data file's header and a hash of the log bytes just before the offset it covers:
/// missing, stale, damaged or from another file, it is not used and the log is replayed instead.
/// Layout: a 4 KiB header page, then 4 KiB blocks of entries in key order (each block checksummed, verified the first
/// time it is read), then an index of each block's first key (checksummed, verified at open).
/// A block found damaged after open is not an error for the reader: the index is rebuilt from the log it was made
/// from (the log before <see cref="CoveredEnd"/> never changes) and answers from then on.
/// </summary>
internal sealed unsafe class Checkpoint
{
    public const string Suffix = ".idx";
    public const int PageSize = 4096;
    private const int Version = 1;
    private const int TailHashBytes = 64 * 1024;
    private const int EntryFixed = 2 + 8 + 4;          // key length, offset, value length
    private const int BlockTrailer = 8;                 // xxh3 of the block, seeded with its number
    private static ReadOnlySpan<byte> Magic => "TSKVCKPT"u8;

    // header page layout (offsets)
    private const int HVersion = 8, HPageSize = 12, HDataHeader = 16, HCoveredEnd = 48, HTailHash = 56, HCount = 64,
        HFileRecords = 72, HLiveBytes = 80, HBlockCount = 88, HIndexOffset = 96, HIndexLength = 104, HIndexHash = 112,
        HHeaderHash = PageSize - 8;

    private readonly MemoryMappedFile _map;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly long _blockCount;
    private readonly long _indexOffset;
    private readonly long _length;
    private readonly ulong[] _verified;                 // one bit per block: checksum checked
    private ulong[] _firstKeyPrefix = [];               // each block's first 8 key bytes, big-endian: a cache-friendly first search
    private readonly Func<KeyIndex.Node> _rebuild;
    private KeyIndex.Node? _rebuilt;
    private RefCount _refs = new();

    public long CoveredEnd { get; }
    public long Count { get; }
    public long FileRecords { get; }
    public long LiveBytes { get; }
    public string FilePath { get; }

    /// <summary>Whether a damaged block made it fall back to an index rebuilt from the log.</summary>
    public bool FellBackToLog => Volatile.Read(ref _rebuilt) is not null;

    private Checkpoint(string path, MemoryMappedFile map, MemoryMappedViewAccessor view, long length, ReadOnlySpan<byte> header, Func<KeyIndex.Node> rebuild)
    {
        FilePath = path;
        _length = length;
        _map = map;
        _view = view;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + view.PointerOffset;
        CoveredEnd = BinaryPrimitives.ReadInt64LittleEndian(header[HCoveredEnd..]);
        Count = BinaryPrimitives.ReadInt64LittleEndian(header[HCount..]);
        FileRecords = BinaryPrimitives.ReadInt64LittleEndian(header[HFileRecords..]);
        LiveBytes = BinaryPrimitives.ReadInt64LittleEndian(header[HLiveBytes..]);
        _blockCount = BinaryPrimitives.ReadInt64LittleEndian(header[HBlockCount..]);
        _indexOffset = BinaryPrimitives.ReadInt64LittleEndian(header[HIndexOffset..]);
        _verified = new ulong[(_blockCount + 63) / 64];
        _rebuild = rebuild;
    }

    /// <summary>Drops the process's resident pages of the checkpoint's map (see <see cref="ResidentPageBudget"/>).</summary>
    public void ReleaseResidentPages() => Native.ReleaseMappedPages(_base, _length);

    // ------------------------------------------------------------------ lifetime

    public bool TryAcquire() => _refs.TryAcquire();

    public void Release()
    {
        if (!_refs.Release()) return;
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _map.Dispose();
    }

    // ------------------------------------------------------------------ open

    /// <summary>
    /// Opens the checkpoint next to the data file when it is valid for it; null (and why) when it is missing, torn,
    /// damaged, stale or belongs to another file. <paramref name="rebuild"/> replays the log up to the covered end,
    /// for the case a block turns out damaged later.
    /// </summary>
    public static Checkpoint? TryOpen(string path, SafeFileHandle data, long dataLength, Func<long, KeyIndex.Node> rebuild, out string? whyNot)
    {
        whyNot = null;
        if (!File.Exists(path))
        {
            whyNot = "no index checkpoint";
            return null;
        }
        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(handle);
            Span<byte> header = new byte[PageSize];
            if (length < PageSize || RandomAccess.Read(handle, header, 0) != PageSize)
            {
                whyNot = "index checkpoint too short";
                return null;
            }
            if (!header[..8].SequenceEqual(Magic)
                || BinaryPrimitives.ReadUInt64LittleEndian(header[HHeaderHash..]) != XxHash3.HashToUInt64(header[..HHeaderHash]))
            {
                whyNot = "index checkpoint header damaged";
                return null;
            }
            if (BinaryPrimitives.ReadInt32LittleEndian(header[HVersion..]) != Version || BinaryPrimitives.ReadInt32LittleEndian(header[HPageSize..]) != PageSize)
            {
                whyNot = "index checkpoint of another format version";
                return null;
            }
            Span<byte> dataHeader = stackalloc byte[RecordFormat.FileHeaderSize];
            if (RandomAccess.Read(data, dataHeader, 0) != dataHeader.Length || !dataHeader.SequenceEqual(header.Slice(HDataHeader, RecordFormat.FileHeaderSize)))
            {
                whyNot = "index checkpoint of another data file";
                return null;
            }
            long covered = BinaryPrimitives.ReadInt64LittleEndian(header[HCoveredEnd..]);
            if (covered < RecordFormat.FileHeaderSize || covered > dataLength || TailHash(data, covered) != BinaryPrimitives.ReadUInt64LittleEndian(header[HTailHash..]))
            {
                whyNot = "index checkpoint does not match the data file's log (stale or from another file)";
                return null;
            }
            long blocks = BinaryPrimitives.ReadInt64LittleEndian(header[HBlockCount..]);
            long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(header[HIndexOffset..]);
            long indexLength = BinaryPrimitives.ReadInt64LittleEndian(header[HIndexLength..]);
            if (blocks < 0 || indexOffset != PageSize + blocks * PageSize || indexLength < blocks * 8
                || indexOffset + indexLength != length)
            {
                whyNot = "index checkpoint has an impossible layout";
                return null;
            }
            map = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            var cp = new Checkpoint(path, map, view, length, header, () => rebuild(covered));
            if (XxHash3.HashToUInt64(cp.Span(indexOffset, (int)indexLength)) != BinaryPrimitives.ReadUInt64LittleEndian(header[HIndexHash..])
                || !cp.IndexIsSane())
            {
                cp.Release();
                whyNot = "index checkpoint's block index damaged";
                return null;
            }
            cp._firstKeyPrefix = new ulong[blocks];
            for (long b = 0; b < blocks; b++) cp._firstKeyPrefix[b] = Prefix(cp.FirstKey(b));
            return cp;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            view?.Dispose();
            map?.Dispose();
            whyNot = $"index checkpoint unreadable ({ex.Message})";
            return null;
        }
    }

    private bool IndexIsSane()
    {
        long heapStart = _indexOffset + _blockCount * 8, heapLength = HeapLengthOf();
        for (long b = 0; b < _blockCount; b++)
        {
            long at = BinaryPrimitives.ReadInt64LittleEndian(Span(_indexOffset + b * 8, 8));
            if (at < 0 || at + 2 > heapLength) return false;
            int len = BinaryPrimitives.ReadUInt16LittleEndian(Span(heapStart + at, 2));
            if (len is 0 or > RecordFormat.MaxKeyLength || at + 2 + len > heapLength) return false;
        }
        return true;
    }

    private long HeapLengthOf() => _length - (_indexOffset + _blockCount * 8);

    private static ulong TailHash(SafeFileHandle data, long covered)
    {
        long from = Math.Max(RecordFormat.FileHeaderSize, covered - TailHashBytes);
        var buffer = new byte[covered - from];
        int read = 0;
        while (read < buffer.Length)
        {
            int n = RandomAccess.Read(data, buffer.AsSpan(read), from + read);
            if (n <= 0) return 0;
            read += n;
        }
        return XxHash3.HashToUInt64(buffer, covered);
    }

    private ReadOnlySpan<byte> Span(long offset, int length) => new(_base + offset, length);

    // ------------------------------------------------------------------ lookups

    private ReadOnlySpan<byte> FirstKey(long block)
    {
        long heapStart = _indexOffset + _blockCount * 8;
        long at = BinaryPrimitives.ReadInt64LittleEndian(Span(_indexOffset + block * 8, 8));
        int len = BinaryPrimitives.ReadUInt16LittleEndian(Span(heapStart + at, 2));
        return Span(heapStart + at + 2, len);
    }

    /// <summary>The first 8 bytes of a key as a big-endian number (shorter keys padded with zeros): orders like the key.</summary>
    private static ulong Prefix(ReadOnlySpan<byte> key)
    {
        if (key.Length >= 8) return BinaryPrimitives.ReadUInt64BigEndian(key);
        Span<byte> padded = stackalloc byte[8];
        padded.Clear();
        key.CopyTo(padded);
        return BinaryPrimitives.ReadUInt64BigEndian(padded);
    }

    /// <summary>The last block whose first key is at most <paramref name="key"/>, or -1.</summary>
    private long BlockFor(ReadOnlySpan<byte> key)
    {
        // search the in-memory prefixes first; only blocks whose prefix equals the key's need the full key compared
        ulong p = Prefix(key);
        var prefixes = _firstKeyPrefix;
        int lo = 0, hi = prefixes.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (prefixes[mid] <= p) lo = mid + 1; else hi = mid - 1;
        }
        // prefixes[0..lo) are <= p; the answer is the last block among them whose full first key is <= key
        long b = lo - 1;
        while (b >= 0 && prefixes[b] == p && FirstKey(b).SequenceCompareTo(key) > 0) b--;
        return b;
    }

    /// <summary>The block's bytes when its checksum holds; false when it is damaged.</summary>
    private bool TryBlock(long block, out ReadOnlySpan<byte> bytes)
    {
        bytes = Span(PageSize + block * PageSize, PageSize);
        ulong bit = 1UL << (int)(block & 63);
        ref ulong word = ref _verified[block >> 6];
        if ((Volatile.Read(ref word) & bit) != 0) return true;
        if (!BlockIsValid(bytes, block)) return false;
        Interlocked.Or(ref word, bit);
        return true;
    }

    private static bool BlockIsValid(ReadOnlySpan<byte> bytes, long block)
    {
        if (BinaryPrimitives.ReadUInt64LittleEndian(bytes[(PageSize - BlockTrailer)..]) != XxHash3.HashToUInt64(bytes[..(PageSize - BlockTrailer)], block))
            return false;
        int n = BinaryPrimitives.ReadUInt16LittleEndian(bytes);
        if (n == 0 || 2 + 2 * n > PageSize - BlockTrailer) return false;
        for (int i = 0; i < n; i++)
        {
            int at = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 + 2 * i)..]);
            if (at < 2 + 2 * n || at + EntryFixed > PageSize - BlockTrailer) return false;
            int len = BinaryPrimitives.ReadUInt16LittleEndian(bytes[at..]);
            if (len is 0 or > RecordFormat.MaxKeyLength || at + EntryFixed + len > PageSize - BlockTrailer) return false;
        }
        return true;
    }

    private static int EntryCount(ReadOnlySpan<byte> block) => BinaryPrimitives.ReadUInt16LittleEndian(block);

    private static ReadOnlySpan<byte> KeyAt(ReadOnlySpan<byte> block, int i, out IndexEntry entry)
    {
        int at = BinaryPrimitives.ReadUInt16LittleEndian(block[(2 + 2 * i)..]);
        int len = BinaryPrimitives.ReadUInt16LittleEndian(block[at..]);
        var key = block.Slice(at + 2, len);
        entry = new IndexEntry(BinaryPrimitives.ReadInt64LittleEndian(block[(at + 2 + len)..]), BinaryPrimitives.ReadInt32LittleEndian(block[(at + 10 + len)..]));
        return key;
    }

    /// <summary>First index in the block whose key is at least <paramref name="key"/> (n when none).</summary>
    private static int LowerBound(ReadOnlySpan<byte> block, ReadOnlySpan<byte> key, out bool found)
    {
        int lo = 0, hi = EntryCount(block) - 1;
        found = false;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = KeyAt(block, mid, out _).SequenceCompareTo(key);
            if (c == 0)
            {
                found = true;
                return mid;
            }
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return lo;
    }

    private KeyIndex.Node Rebuilt()
    {
        var r = Volatile.Read(ref _rebuilt);
        if (r is not null) return r;
        lock (_verified)
        {
            return _rebuilt ??= _rebuild();
        }
    }

    public bool TryFind(ReadOnlySpan<byte> key, out IndexEntry entry)
    {
        if (Volatile.Read(ref _rebuilt) is { } rebuilt) return KeyIndex.TryFind(rebuilt, key, out entry);
        long b = BlockFor(key);
        if (b < 0)
        {
            entry = default;
            return false;
        }
        if (!TryBlock(b, out var block)) return KeyIndex.TryFind(Rebuilt(), key, out entry);
        int i = LowerBound(block, key, out bool found);
        if (!found)
        {
            entry = default;
            return false;
        }
        KeyAt(block, i, out entry);
        return true;
    }

    /// <summary>Keys in [from, to) in order; the key memory is a copy (valid after the checkpoint is released).</summary>
    public IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> Range(byte[]? from, byte[]? to)
    {
        if (Volatile.Read(ref _rebuilt) is { } rebuilt)
        {
            foreach (var e in KeyIndex.Range(rebuilt, from, to)) yield return e;
            yield break;
        }
        long b = from is null ? 0 : Math.Max(0, BlockFor(from));
        byte[]? resumeFrom = from;
        for (; b < _blockCount; b++)
        {
            var (items, damaged) = ReadBlockRange(b, resumeFrom, to, out bool pastEnd);
            if (damaged)
            {
                foreach (var e in KeyIndex.Range(Rebuilt(), resumeFrom, to)) yield return e;
                yield break;
            }
            foreach (var e in items) yield return e;
            if (pastEnd) yield break;
            if (items.Count > 0)
            {
                // resume strictly after the last key handed out (a fallback mid-scan must not repeat it)
                var last = items[^1].Key.Span;
                resumeFrom = [.. last, 0];
            }
        }
    }

    // spans cannot live across yield: a block's entries in range are copied out at once
    private (List<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> Items, bool Damaged) ReadBlockRange(long b, byte[]? from, byte[]? to, out bool pastEnd)
    {
        var items = new List<(ReadOnlyMemory<byte>, IndexEntry)>();
        pastEnd = false;
        if (!TryBlock(b, out var block)) return (items, true);
        int n = EntryCount(block);
        int i = from is null ? 0 : LowerBound(block, from, out _);
        for (; i < n; i++)
        {
            var key = KeyAt(block, i, out var entry);
            if (to is not null && key.SequenceCompareTo(to) >= 0)
            {
                pastEnd = true;
                break;
            }
            items.Add((key.ToArray(), entry));
        }
        return (items, false);
    }

    // ------------------------------------------------------------------ write

    /// <summary>
    /// Writes a checkpoint: entries in key order (<see cref="Add"/>), then <see cref="Complete"/> with the offset it
    /// covers, which writes the block index and the header, syncs the file and renames it into place (then syncs the
    /// directory). Until then the checkpoint in place, if any, is untouched. The data file must be synced up to the
    /// covered offset before Complete.
    /// </summary>
    internal sealed class Writer : IDisposable
    {
        private readonly string _path, _temp;
        private readonly FileSeam _seam;
        private readonly SafeFileHandle _handle;
        private readonly byte[] _block = new byte[PageSize];
        private readonly MemoryStream _heap = new();
        private readonly List<long> _offsets = [];
        private readonly List<(byte[] Key, IndexEntry Entry)> _pending = [];
        private long _blocks;
        private int _used = 2; // the entry count
        private bool _done;

        public Writer(string path, FileSeam seam)
        {
            _path = path;
            _temp = path + ".tmp";
            _seam = seam;
            if (File.Exists(_temp)) File.Delete(_temp);
            _handle = Native.CreatePrivate(_temp); // it holds every key: readable by others only once it has the data file's mode
        }

        public long Entries { get; private set; }

        public void Add(ReadOnlySpan<byte> key, IndexEntry entry)
        {
            int need = 2 + EntryFixed + key.Length; // an offset slot and the entry
            if (_pending.Count > 0 && _used + need > PageSize - BlockTrailer) EmitBlock();
            _pending.Add((key.ToArray(), entry));
            _used += need;
            Entries++;
        }

        private void EmitBlock()
        {
            Array.Clear(_block);
            LayOut(_block, _pending);
            BinaryPrimitives.WriteUInt16LittleEndian(_block, (ushort)_pending.Count);
            BinaryPrimitives.WriteUInt64LittleEndian(_block.AsSpan(PageSize - BlockTrailer), XxHash3.HashToUInt64(_block.AsSpan(0, PageSize - BlockTrailer), _blocks));
            _seam.Write(_handle, _temp, _block, PageSize + _blocks * PageSize);
            _offsets.Add(_heap.Length);
            WriteKey(_heap, _pending[0].Key);
            _blocks++;
            _pending.Clear();
            _used = 2;
        }

        public void Complete(SafeFileHandle data, long coveredEnd, long count, long fileRecords, long liveBytes)
        {
            if (_pending.Count > 0) EmitBlock();
            // the block index: offsets into the key heap, then the heap
            var index = new byte[_blocks * 8 + _heap.Length];
            for (int i = 0; i < _offsets.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(i * 8), _offsets[i]);
            _heap.GetBuffer().AsSpan(0, (int)_heap.Length).CopyTo(index.AsSpan((int)(_blocks * 8)));
            long indexOffset = PageSize + _blocks * PageSize;
            _seam.Write(_handle, _temp, index, indexOffset);

            var header = new byte[PageSize];
            Magic.CopyTo(header);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(HVersion), Version);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(HPageSize), PageSize);
            if (RandomAccess.Read(data, header.AsSpan(HDataHeader, RecordFormat.FileHeaderSize), 0) != RecordFormat.FileHeaderSize)
                throw new IOException("the data file has no header");
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HCoveredEnd), coveredEnd);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(HTailHash), TailHash(data, coveredEnd));
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HCount), count);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HFileRecords), fileRecords);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HLiveBytes), liveBytes);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HBlockCount), _blocks);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HIndexOffset), indexOffset);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(HIndexLength), index.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(HIndexHash), XxHash3.HashToUInt64(index));
            BinaryPrimitives.WriteUInt64LittleEndian(header.AsSpan(HHeaderHash), XxHash3.HashToUInt64(header.AsSpan(0, HHeaderHash)));
            _seam.Write(_handle, _temp, header, 0);
            Native.CopyModeAndOwner(_handle, _temp, Native.Stat(data, _path));
            _seam.SyncData(_handle, _temp);
            _handle.Dispose();
            _seam.Rename(_temp, _path);
            _done = true;
            _seam.SyncDirectoryOf(_path);
        }

        public void Dispose()
        {
            _handle.Dispose();
            if (!_done)
            {
                try { File.Delete(_temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    private static void WriteKey(MemoryStream heap, byte[] key)
    {
        Span<byte> len = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)key.Length);
        heap.Write(len);
        heap.Write(key);
    }

    /// <summary>Lays out one block: count (written by the caller), offsets, then the entries in order.</summary>
    private static void LayOut(byte[] block, List<(byte[] Key, IndexEntry Entry)> entries)
    {
        int at = 2 + 2 * entries.Count;
        for (int i = 0; i < entries.Count; i++)
        {
            var (key, entry) = entries[i];
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(2 + 2 * i), (ushort)at);
            BinaryPrimitives.WriteUInt16LittleEndian(block.AsSpan(at), (ushort)key.Length);
            key.CopyTo(block.AsSpan(at + 2));
            BinaryPrimitives.WriteInt64LittleEndian(block.AsSpan(at + 2 + key.Length), entry.Offset);
            BinaryPrimitives.WriteInt32LittleEndian(block.AsSpan(at + 10 + key.Length), entry.ValueLength);
            at += EntryFixed + key.Length;
        }
    }
}
