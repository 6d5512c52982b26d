using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>
/// One open data file: positional reads for any thread, appends through a write buffer for the single writer.
/// Reads never lock. A record still in the write buffer is copied out of it seqlock-style: the copy counts
/// only if no flush happened meanwhile (a flush moves <see cref="_flushedEnd"/>), else the record is on disk.
/// The file only grows while it is open: nothing here ever shortens it or writes over bytes that reached the OS,
/// so a reader in another process never sees a range change under it. Reference-counted so that a compaction can
/// retire the file while readers still use it. Committing, durability and failure policy live in
/// <see cref="CommitPipeline"/>; every system call goes through the store's <see cref="FileSeam"/>.
/// </summary>
internal sealed class DataFile
{
    private readonly SafeFileHandle _handle;
    private readonly FileSeam _seam;
    private readonly byte[] _buffer;
    private int _bufferLength;
    private long _flushedEnd;   // bytes [0, _flushedEnd) are in the OS; the buffer holds [_flushedEnd, _appendEnd)
    private long _appendEnd;
    private RefCount _refs = new();
    private MappedRegion? _map;                       // newest (largest) map; older ones stay mapped until release
    private readonly List<MappedRegion> _maps = [];

    /// <summary>End of the last committed write that has reached the OS: what a group-commit sync may acknowledge.</summary>
    internal long CommittedEnd;

    /// <summary>Everything before this offset is on stable storage (or was copied into a synced newer file).</summary>
    internal long DurableEnd;

    /// <summary>Data syncs of this file so far (for tests and diagnostics).</summary>
    internal long SyncCount;

    public DataFile(string path, SafeFileHandle handle, long end, int bufferSize, bool writable, FileSeam seam)
    {
        Path = path;
        _handle = handle;
        _seam = seam;
        _flushedEnd = _appendEnd = CommittedEnd = DurableEnd = end;
        _buffer = writable ? new byte[Math.Max(bufferSize, 4096)] : [];
        Remap();
    }

    /// <summary>Maps [0, flushed end) when enough has been appended since the last map (geometric steps).</summary>
    private void Remap()
    {
        long flushed = _flushedEnd;
        long mapped = _map?.Length ?? 0;
        if (flushed - mapped < Math.Max(mapped / 2, 4 << 20) && !(_map is null && flushed > RecordFormat.FileHeaderSize)) return;
        try
        {
            if (_seam.Map(_handle, Path, flushed) is { } map)
            {
                _maps.Add(map);
                Volatile.Write(ref _map, map);
            }
        }
        catch (IOException)
        {
            // no map: reads fall back to positional reads
        }
    }

    public string Path { get; }

    /// <summary>Fault injection for tests: called before every write to the file with (offset, length).</summary>
    internal Action<long, int>? BeforeWrite
    {
        set => _seam.Fault = value is null ? null : (op, _, offset, length) => { if (op == FileOperation.Write) value(offset, (int)length); };
    }

    /// <summary>Fault injection for tests: called before every data sync.</summary>
    internal Action? BeforeFsync
    {
        set => _seam.Fault = value is null ? null : (op, _, _, _) => { if (op == FileOperation.SyncData) value(); };
    }

    /// <summary>Logical end of the file: everything appended, flushed or still in the write buffer.</summary>
    public long AppendEnd => Volatile.Read(ref _appendEnd);

    /// <summary>Bytes [0, FlushedEnd) have been handed to the OS.</summary>
    public long FlushedEnd => Volatile.Read(ref _flushedEnd);

    internal SafeFileHandle Handle => _handle;
    internal FileSeam Seam => _seam;

    public bool TryAcquire() => _refs.TryAcquire();

    public void Release()
    {
        if (!_refs.Release()) return;
        foreach (var map in _maps) map.Dispose();
        _handle.Dispose();
    }

    // ---------------------------------------------------------------- reads


    /// <summary>
    /// Reads exactly dest.Length bytes at offset, from the OS or from the write buffer. <paramref name="mapped"/>
    /// false reads with pread instead of the map: a pass over the whole store (backup, verify, compaction) reads each
    /// value once, and through the map every page it touched (with the kernel's fault-around, up to a large folio per
    /// read) would stay in the process's resident set, growing it to the file's size; pread leaves them in the page
    /// cache only, and measured faster for such a pass (1M records, 100-byte values: 3.3-4.1 s against 6.2-6.7 s).
    /// </summary>
    public void ReadAt(long offset, Span<byte> dest, bool mapped = true)
    {
        while (true)
        {
            long flushed = Volatile.Read(ref _flushedEnd);
            if (offset < flushed || _buffer.Length == 0)
            {
                // in the OS: the map shares the page cache with write(), so it is never staler than a pread
                var map = mapped ? Volatile.Read(ref _map) : null;
                if (map is not null && offset + dest.Length <= map.Length) map.CopyTo(offset, dest);
                else ReadFromDisk(offset, dest);
                return;
            }
            long inBuffer = offset - flushed;
            if (inBuffer + dest.Length > _buffer.Length)
            {
                // the buffer was flushed and refilled since the index entry was published: on disk now
                ReadFromDisk(offset, dest);
                return;
            }
            _buffer.AsSpan((int)inBuffer, dest.Length).CopyTo(dest);
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref _flushedEnd) == flushed) return;
        }
    }

    private void ReadFromDisk(long offset, Span<byte> dest)
    {
        while (dest.Length > 0)
        {
            int n = _seam.Read(_handle, Path, dest, offset);
            if (n <= 0) throw new SkvCorruptionException(Path, offset, "unexpected end of file inside a record");
            dest = dest[n..];
            offset += n;
        }
    }

    /// <summary>Reads and checks a Put record's value. Never returns bytes that fail the record checksum.</summary>
    public byte[] ReadValue(long offset, ReadOnlySpan<byte> expectedKey, int valueLength, bool mapped = true)
    {
        int headLength = RecordFormat.HeaderSize + expectedKey.Length;
        if (headLength + valueLength <= 1024)
            return ReadValueWith(offset, expectedKey, valueLength, 0, static (value, _) => value.ToArray(), mapped);
        // large: the value is read straight into its own array and hashed in two parts, not copied
        var value = GC.AllocateUninitializedArray<byte>(valueLength);
        byte[] head = ArrayPool<byte>.Shared.Rent(headLength);
        try
        {
            var headSpan = head.AsSpan(0, headLength);
            ReadAt(offset, headSpan, mapped);
            ReadAt(offset + headLength, value, mapped);
            var hasher = new XxHash3(offset);
            hasher.Append(headSpan[8..]);
            hasher.Append(value);
            CheckRecord(offset, headSpan, hasher.GetCurrentHashAsUInt64(), expectedKey, valueLength);
            return value;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(head);
        }
    }

    /// <summary>
    /// Reads and checks a Put record and hands its value to <paramref name="reader"/> without allocating it
    /// (stack for small records, a pooled buffer for large ones). The span is valid only during the call.
    /// </summary>
    public TResult ReadValueWith<TState, TResult>(long offset, ReadOnlySpan<byte> expectedKey, int valueLength,
        TState state, SkvValueReader<TState, TResult> reader, bool mapped = true)
    {
        int headLength = RecordFormat.HeaderSize + expectedKey.Length;
        int size = headLength + valueLength;
        byte[]? rented = null;
        Span<byte> rec = size <= 1024 ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            ReadAt(offset, rec, mapped);
            CheckRecord(offset, rec, RecordFormat.Hash(rec[8..], offset), expectedKey, valueLength);
            return reader(rec[headLength..], state);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private void CheckRecord(long offset, ReadOnlySpan<byte> head, ulong actualHash, ReadOnlySpan<byte> expectedKey, int valueLength)
    {
        var h = RecordFormat.ReadHeader(head);
        if (h.Hash != actualHash)
            throw new SkvCorruptionException(Path, offset, $"record checksum mismatch reading key {KeyFormatter.Describe(expectedKey)}");
        if (h.Kind != RecordKind.Put || h.KeyLength != expectedKey.Length || h.ValueLength != valueLength
            || !head.Slice(RecordFormat.HeaderSize, expectedKey.Length).SequenceEqual(expectedKey))
            throw new SkvCorruptionException(Path, offset, $"index points at a record that is not the value of key {KeyFormatter.Describe(expectedKey)}");
    }

    // ---------------------------------------------------------------- writes (single writer, under the write lock)

    /// <summary>Appends one record; returns its offset.</summary>
    public long Append(RecordKind kind, RecordFlags flags, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        long offset = _appendEnd;
        int size = checked((int)RecordFormat.RecordSize(key.Length, value.Length));
        if (size > _buffer.Length - _bufferLength) FlushBuffer();
        if (size <= _buffer.Length)
        {
            RecordFormat.Write(_buffer.AsSpan(_bufferLength, size), offset, kind, flags, key, value);
            _bufferLength += size;
            Volatile.Write(ref _appendEnd, offset + size);
            return offset;
        }
        // larger than the whole buffer: goes straight to the file (the buffer is empty here), the header and key first,
        // then the value from the caller's memory as it is: a 1 GiB value is never copied into a second 1 GiB array
        int headLength = RecordFormat.HeaderSize + key.Length;
        Span<byte> head = stackalloc byte[RecordFormat.HeaderSize + RecordFormat.MaxKeyLength];
        head = head[..headLength];
        RecordFormat.WriteHead(head, offset, kind, flags, key, value);
        _seam.Write(_handle, Path, head, offset);
        _seam.Write(_handle, Path, value, offset + headLength);
        Volatile.Write(ref _appendEnd, offset + size);
        Volatile.Write(ref _flushedEnd, offset + size);
        Interlocked.MemoryBarrier();
        Remap();
        return offset;
    }

    /// <summary>Appends the Commit (or Abort) record that ends a batch of <paramref name="recordCount"/> records.</summary>
    public long AppendBatchEnd(RecordKind kind, int recordCount)
    {
        Span<byte> count = stackalloc byte[RecordFormat.CommitValueLength];
        BinaryPrimitives.WriteInt32LittleEndian(count, recordCount);
        return Append(kind, RecordFlags.None, default, count);
    }

    /// <summary>Hands buffered records to the OS. On failure the buffer is kept as it was.</summary>
    public void FlushBuffer()
    {
        if (_bufferLength == 0) return;
        _seam.Write(_handle, Path, _buffer.AsSpan(0, _bufferLength), _flushedEnd);
        // publish before the buffer is reused: readers that copied from it meanwhile see the change and re-read;
        // the full fence keeps the next appends' stores into the buffer behind it on weakly ordered CPUs too
        Volatile.Write(ref _flushedEnd, _appendEnd);
        Interlocked.MemoryBarrier();
        _bufferLength = 0;
        Remap();
    }

    /// <summary>
    /// Forgets the records from <paramref name="offset"/> on, which must all still be in the write buffer (they
    /// never reached the OS, so no reader anywhere saw them). Returns false when some of them already reached the OS.
    /// </summary>
    public bool TryDiscardBuffered(long offset)
    {
        if (offset < _flushedEnd) return false;
        _bufferLength = (int)(offset - _flushedEnd);
        Volatile.Write(ref _appendEnd, offset);
        return true;
    }

    /// <summary>Whether the file on disk holds bytes past what was handed to the OS on purpose (a write that failed part way).</summary>
    public bool HasBytesPastFlushedEnd()
    {
        try
        {
            return RandomAccess.GetLength(_handle) > _flushedEnd;
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>fdatasync, checked (through the seam).</summary>
    public void SyncData()
    {
        _seam.SyncData(_handle, Path);
        Interlocked.Increment(ref SyncCount);
    }
}
