using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Indexing;

namespace TypedSkv.Storage;

/// <summary>
/// The index entries of a write-only transaction too large to index in memory (a restore of millions of records),
/// sorted with bounded memory, as an external merge sort does: entries gather in a buffer (8 MiB
/// by default); a full buffer is sorted by key and log offset and written as a run to a temporary file
/// next to the store, unlinked as soon as it is created (nothing is left behind by a crash; it holds keys, so it is
/// created 0600 in the store's own directory, never in /tmp). <see cref="Merge"/> yields each key once, in key order,
/// with its newest entry (the highest log offset: later writes land later in the log), merged with the layers below.
/// </summary>
internal sealed class SortedEntrySpill : IDisposable
{
    public const int DefaultBufferBytes = 8 << 20;
    private const int ItemBytes = 24;                 // what one buffered entry costs besides its key
    private const int RunEntryFixed = 2 + 8 + 4;      // key length, offset, value length

    private readonly int _bufferBytes;
    private readonly string _runPathPrefix;
    private readonly FileSeam _seam;
    private byte[] _keys = new byte[1 << 16];
    private int _keysUsed;
    private Item[] _items = new Item[4096];
    private int _count;
    private readonly List<Run> _runs = [];
    private byte[]? _runBlock; // the write buffer of a spill, kept for the next one (a restore of 10M records spills ~50 runs)

    private struct Item
    {
        public int KeyAt;
        public int KeyLength;
        public long Offset;
        public int ValueLength;
    }

    private sealed record Run(SafeFileHandle Handle, string Path, long Length, FileSeam Seam);

    /// <summary>Runs are created beside <paramref name="storePath"/> (the data file's real path), through <paramref name="seam"/>.</summary>
    public SortedEntrySpill(string storePath, FileSeam seam, int bufferBytes = DefaultBufferBytes)
    {
        _bufferBytes = bufferBytes;
        _runPathPrefix = storePath + ".sort-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6)) + "-";
        _seam = seam;
    }

    /// <summary>Entries added since the last <see cref="Clear"/>, duplicates included.</summary>
    public long Entries { get; private set; }

    /// <summary>Whether some entries are in run files (else all are in the buffer).</summary>
    public bool Spilled => _runs.Count > 0;

    public void Add(ReadOnlySpan<byte> key, IndexEntry entry)
    {
        if (_keysUsed + key.Length > _bufferBytes - (long)(_count + 1) * ItemBytes) Spill();
        if (_keysUsed + key.Length > _keys.Length) Array.Resize(ref _keys, Math.Min(Math.Max(_bufferBytes, key.Length), Math.Max(_keys.Length * 2, _keysUsed + key.Length)));
        if (_count == _items.Length) Array.Resize(ref _items, _items.Length * 2);
        key.CopyTo(_keys.AsSpan(_keysUsed));
        _items[_count++] = new Item { KeyAt = _keysUsed, KeyLength = key.Length, Offset = entry.Offset, ValueLength = entry.ValueLength };
        _keysUsed += key.Length;
        Entries++;
    }

    /// <summary>Forgets every entry (a Clear record in the transaction voids the writes before it).</summary>
    public void Clear()
    {
        DisposeRuns();
        _count = 0;
        _keysUsed = 0;
        Entries = 0;
    }

    private void SortBuffer()
    {
        var keys = _keys;
        // by key, then by offset: the newest of equal keys comes last
        Array.Sort(_items, 0, _count, Comparer<Item>.Create((a, b) =>
        {
            int c = keys.AsSpan(a.KeyAt, a.KeyLength).SequenceCompareTo(keys.AsSpan(b.KeyAt, b.KeyLength));
            return c != 0 ? c : a.Offset.CompareTo(b.Offset);
        }));
    }

    private void Spill()
    {
        if (_count == 0) return;
        SortBuffer();
        string path = _runPathPrefix + _runs.Count;
        var handle = Native.CreatePrivate(path);
        try
        {
            File.Delete(path); // the open handle keeps the data: the run vanishes with it, also in a crash
            var block = _runBlock ??= new byte[1 << 20];
            int used = 0;
            long at = 0;
            for (int i = 0; i < _count; i++)
            {
                ref var item = ref _items[i];
                if (used + RunEntryFixed + item.KeyLength > block.Length)
                {
                    _seam.Write(handle, path, block.AsSpan(0, used), at);
                    at += used;
                    used = 0;
                }
                var span = block.AsSpan(used);
                BinaryPrimitives.WriteUInt16LittleEndian(span, (ushort)item.KeyLength);
                BinaryPrimitives.WriteInt64LittleEndian(span[2..], item.Offset);
                BinaryPrimitives.WriteInt32LittleEndian(span[10..], item.ValueLength);
                _keys.AsSpan(item.KeyAt, item.KeyLength).CopyTo(span[RunEntryFixed..]);
                used += RunEntryFixed + item.KeyLength;
            }
            _seam.Write(handle, path, block.AsSpan(0, used), at);
            _runs.Add(new Run(handle, path, at + used, _seam));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
        _count = 0;
        _keysUsed = 0;
    }

    /// <summary>
    /// Every key once, in unsigned byte order, with its newest entry: this transaction's entries over
    /// <paramref name="below"/> (the store's live index before it, or nothing after a Clear; its entries are all
    /// older than the transaction's). The keys are fresh arrays. Call once, after the last <see cref="Add"/>.
    /// </summary>
    public IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> Merge(IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)>? below)
    {
        SortBuffer();
        var sources = new List<Source>();
        try
        {
            if (below is not null) sources.Add(new LayerSource(below.GetEnumerator()));
            foreach (var run in _runs) sources.Add(new RunSource(run));
            sources.Add(new BufferSource(this));
            var queue = new PriorityQueue<Source, Source>(Comparer<Source>.Create(static (a, b) =>
            {
                int c = a.Key.SequenceCompareTo(b.Key);
                return c != 0 ? c : a.Offset.CompareTo(b.Offset);
            }));
            foreach (var s in sources)
                if (s.MoveNext()) queue.Enqueue(s, s);
            byte[]? pendingKey = null;
            IndexEntry pending = default;
            while (queue.TryDequeue(out var s, out _))
            {
                if (pendingKey is not null && !s.Key.SequenceEqual(pendingKey))
                {
                    yield return (pendingKey, pending);
                    pendingKey = null;
                }
                pendingKey ??= s.Key.ToArray();
                pending = new IndexEntry(s.Offset, s.ValueLength); // equal keys come oldest first: the last one wins
                if (s.MoveNext()) queue.Enqueue(s, s);
            }
            if (pendingKey is not null) yield return (pendingKey, pending);
        }
        finally
        {
            foreach (var s in sources) s.Dispose();
        }
    }

    private void DisposeRuns()
    {
        foreach (var run in _runs) run.Handle.Dispose();
        _runs.Clear();
    }

    public void Dispose()
    {
        DisposeRuns();
        _keys = [];
        _items = [];
        _runBlock = null;
    }

    /// <summary>One sorted input of the merge; <see cref="Key"/> is valid until the next <see cref="MoveNext"/>.</summary>
    private abstract class Source : IDisposable
    {
        public abstract ReadOnlySpan<byte> Key { get; }
        public long Offset;
        public int ValueLength;
        public abstract bool MoveNext();
        public virtual void Dispose() { }
    }

    private sealed class BufferSource(SortedEntrySpill owner) : Source
    {
        private int _at = -1;
        public override ReadOnlySpan<byte> Key
        {
            get
            {
                ref var item = ref owner._items[_at];
                return owner._keys.AsSpan(item.KeyAt, item.KeyLength);
            }
        }

        public override bool MoveNext()
        {
            if (++_at >= owner._count) return false;
            Offset = owner._items[_at].Offset;
            ValueLength = owner._items[_at].ValueLength;
            return true;
        }
    }

    private sealed class LayerSource(IEnumerator<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> entries) : Source
    {
        public override ReadOnlySpan<byte> Key => entries.Current.Key.Span;

        public override bool MoveNext()
        {
            if (!entries.MoveNext()) return false;
            Offset = entries.Current.Entry.Offset;
            ValueLength = entries.Current.Entry.ValueLength;
            return true;
        }

        public override void Dispose() => entries.Dispose();
    }

    private sealed class RunSource(Run run) : Source
    {
        private readonly byte[] _buffer = new byte[1 << 16];
        private int _start, _end, _keyAt, _keyLength;
        private long _fileAt;

        public override ReadOnlySpan<byte> Key => _buffer.AsSpan(_keyAt, _keyLength);

        public override bool MoveNext()
        {
            if (!Have(RunEntryFixed)) return false;
            int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(_start));
            if (!Have(RunEntryFixed + keyLength)) throw new IOException("a sort run file ended inside an entry");
            Offset = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start + 2));
            ValueLength = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start + 10));
            _keyAt = _start + RunEntryFixed;
            _keyLength = keyLength;
            _start += RunEntryFixed + keyLength;
            return true;
        }

        /// <summary>At least <paramref name="bytes"/> unread bytes in the buffer, refilled from the run; false at its end.</summary>
        private bool Have(int bytes)
        {
            if (_end - _start >= bytes) return true;
            // the current key may be read until the next MoveNext, which is this call: moving it is safe now
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            while (_end < bytes && _fileAt < run.Length)
            {
                int n = run.Seam.Read(run.Handle, run.Path, _buffer.AsSpan(_end, (int)Math.Min(_buffer.Length - _end, run.Length - _fileAt)), _fileAt);
                if (n <= 0) throw new IOException("a sort run file is shorter than written");
                _end += n;
                _fileAt += n;
            }
            return _end - _start >= bytes;
        }

    }
}
