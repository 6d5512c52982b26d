using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>
/// One open data file: positional reads for any thread, appends through a write buffer for the single writer.
/// Reads never lock. A record still in the write buffer is copied out of it seqlock-style: the copy counts
/// only if no flush happened meanwhile (a flush moves <see cref="_flushedEnd"/>), else the record is on disk.
/// Reference-counted so that a compaction can retire the file while readers still use it.
/// </summary>
internal sealed class DataFile
{
    private readonly SafeFileHandle _handle;
    private readonly byte[] _buffer;
    private int _bufferLength;
    private long _flushedEnd;   // bytes [0, _flushedEnd) are in the OS; the buffer holds [_flushedEnd, _appendEnd)
    private long _appendEnd;
    private long _durableEnd;
    private int _refs = 1;
    private MappedRegion? _map;                       // newest (largest) map; older ones stay mapped until release
    private readonly List<MappedRegion> _maps = [];
    private readonly object _syncGate = new();
    private bool _syncInProgress;
    private SkvException? _failure; // set once the file can no longer promise durability; refuses writes

    public DataFile(string path, SafeFileHandle handle, long end, int bufferSize, bool writable)
    {
        Path = path;
        _handle = handle;
        _flushedEnd = _appendEnd = _durableEnd = end;
        _buffer = writable ? new byte[Math.Max(bufferSize, 4096)] : [];
        Remap();
    }

    /// <summary>Maps [0, flushed end) when enough has been appended since the last map (geometric steps).</summary>
    private void Remap()
    {
        long flushed = _flushedEnd;
        long mapped = _map?.Length ?? 0;
        if (flushed - mapped < Math.Max(mapped / 2, 4 << 20) && !(_map is null && flushed > RecordFormat.FileHeaderSize)) return;
        if (MappedRegion.TryCreate(_handle, flushed) is { } map)
        {
            _maps.Add(map);
            Volatile.Write(ref _map, map);
        }
    }

    public string Path { get; }

    /// <summary>Group-commit fsyncs made so far (for tests and diagnostics).</summary>
    internal long SyncCount;

    /// <summary>Fault injection for tests: called before every write to the file with (offset, length).</summary>
    internal Action<long, int>? BeforeWrite;

    /// <summary>Fault injection for tests: called before every fsync.</summary>
    internal Action? BeforeFsync;

    /// <summary>Logical end of the file: everything appended, flushed or still in the write buffer.</summary>
    public long AppendEnd => Volatile.Read(ref _appendEnd);
    internal SafeFileHandle Handle => _handle;

    public bool TryAcquire()
    {
        while (true)
        {
            int r = Volatile.Read(ref _refs);
            if (r == 0) return false;
            if (Interlocked.CompareExchange(ref _refs, r + 1, r) == r) return true;
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        foreach (var map in _maps) map.Dispose();
        _handle.Dispose();
    }

    // ---------------------------------------------------------------- reads

    /// <summary>Reads exactly dest.Length bytes at offset, from the OS or from the write buffer.</summary>
    public void ReadAt(long offset, Span<byte> dest)
    {
        while (true)
        {
            long flushed = Volatile.Read(ref _flushedEnd);
            if (offset < flushed || _buffer.Length == 0)
            {
                // in the OS: the map shares the page cache with write(), so it is never staler than a pread
                var map = Volatile.Read(ref _map);
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
            int n = RandomAccess.Read(_handle, dest, offset);
            if (n <= 0) throw new SkvCorruptionException(Path, offset, "unexpected end of file inside a record");
            dest = dest[n..];
            offset += n;
        }
    }

    /// <summary>Reads and checks a Put record's value. Never returns bytes that fail the record checksum.</summary>
    public byte[] ReadValue(long offset, ReadOnlySpan<byte> expectedKey, int valueLength)
    {
        int headLength = RecordFormat.HeaderSize + expectedKey.Length;
        if (headLength + valueLength <= 1024)
            return ReadValueWith(offset, expectedKey, valueLength, 0, static (value, _) => value.ToArray());
        // large: the value is read straight into its own array and hashed in two parts, not copied
        var value = GC.AllocateUninitializedArray<byte>(valueLength);
        byte[] head = ArrayPool<byte>.Shared.Rent(headLength);
        try
        {
            var headSpan = head.AsSpan(0, headLength);
            ReadAt(offset, headSpan);
            ReadAt(offset + headLength, value);
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
        TState state, SkvValueReader<TState, TResult> reader)
    {
        int headLength = RecordFormat.HeaderSize + expectedKey.Length;
        int size = headLength + valueLength;
        byte[]? rented = null;
        Span<byte> rec = size <= 1024 ? stackalloc byte[size] : (rented = ArrayPool<byte>.Shared.Rent(size)).AsSpan(0, size);
        try
        {
            ReadAt(offset, rec);
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

    // ---------------------------------------------------------------- writes (single writer)

    /// <summary>Appends one record; returns its offset. Caller holds the store's write lock.</summary>
    public long Append(RecordKind kind, RecordFlags flags, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfFailed();
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
        // larger than the whole buffer: goes straight to the file (the buffer is empty here)
        byte[] rec = ArrayPool<byte>.Shared.Rent(size);
        try
        {
            RecordFormat.Write(rec.AsSpan(0, size), offset, kind, flags, key, value);
            WriteToFile(rec.AsSpan(0, size), offset);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rec);
        }
        Volatile.Write(ref _appendEnd, offset + size);
        Volatile.Write(ref _flushedEnd, offset + size);
        Interlocked.MemoryBarrier();
        Remap();
        return offset;
    }

    public long AppendCommit(int recordCount)
    {
        Span<byte> count = stackalloc byte[RecordFormat.CommitValueLength];
        BinaryPrimitives.WriteInt32LittleEndian(count, recordCount);
        return Append(RecordKind.Commit, RecordFlags.None, default, count);
    }

    /// <summary>Hands buffered records to the OS. Caller holds the store's write lock.</summary>
    public void FlushBuffer()
    {
        if (_bufferLength == 0) return;
        WriteToFile(_buffer.AsSpan(0, _bufferLength), _flushedEnd);
        // publish before the buffer is reused: readers that copied from it meanwhile see the change and re-read;
        // the full fence keeps the next appends' stores into the buffer behind it on weakly ordered CPUs too
        Volatile.Write(ref _flushedEnd, _appendEnd);
        Interlocked.MemoryBarrier();
        _bufferLength = 0;
        Remap();
    }

    /// <summary>
    /// Writes at the end of the file. When the OS refuses part way (disk full), whatever part did land is cut off
    /// again, so the file never holds stray records past its logical end that a later open would take for damage.
    /// </summary>
    private void WriteToFile(ReadOnlySpan<byte> data, long offset)
    {
        try
        {
            BeforeWrite?.Invoke(offset, data.Length);
            RandomAccess.Write(_handle, data, offset);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            try
            {
                RandomAccess.SetLength(_handle, offset);
            }
            catch (Exception cut) when (cut is IOException or UnauthorizedAccessException)
            {
                Fail($"a failed write could not be cut off the end of the file ({cut.Message})", ex);
            }
            throw;
        }
    }

    private void Fail(string what, Exception cause) =>
        Interlocked.CompareExchange(ref _failure, new SkvException($"{Path}: {what}; the store takes no more writes: reopen it", cause), null);

    private void ThrowIfFailed()
    {
        if (Volatile.Read(ref _failure) is { } failure) throw failure;
    }

    /// <summary>
    /// Everything up to <paramref name="end"/> is durable by other means (a compaction copied it into a new file and
    /// synced that): wake whoever waits for a sync of this file.
    /// </summary>
    public void MarkDurable(long end)
    {
        lock (_syncGate)
        {
            if (end > _durableEnd) Volatile.Write(ref _durableEnd, end);
            Monitor.PulseAll(_syncGate);
        }
    }

    /// <summary>
    /// Makes everything up to <paramref name="end"/> durable. Concurrent callers share fsyncs (group commit): one
    /// caller at a time is the leader and syncs everything appended so far; the others wait for the sync that
    /// covers them and are all woken at once, so whoever appended during a sync is covered by the next one.
    /// </summary>
    public void WaitDurable(long end, SemaphoreSlim writeLock, WriterActivity writers)
    {
        if (Volatile.Read(ref _durableEnd) >= end) return;
        lock (_syncGate)
        {
            while (true)
            {
                if (_durableEnd >= end) return;
                // after a failed fsync a retry may "succeed" for pages the OS already dropped: acknowledge nothing
                ThrowIfFailed();
                if (!_syncInProgress)
                {
                    _syncInProgress = true;
                    break;
                }
                Monitor.Wait(_syncGate);
            }
        }
        long synced = 0;
        try
        {
            // Writers that are between their call and their append would just miss this sync and need another:
            // give them a moment (bounded far below an fsync's cost) to append first.
            for (int i = 0; i < 256 && writers.Pending > 0; i++) Thread.Yield();
            // The target is read under the write lock: then no transaction is open, so it cannot include records a
            // rollback would cut off again (committed writes are already in the OS; the flush covers None-mode ones).
            long target;
            writeLock.Wait();
            try
            {
                FlushBuffer();
                target = _appendEnd;
            }
            finally
            {
                writeLock.Release();
            }
            // the write lock is free again: other writers append while this thread waits for the disk
            Fsync();
            Interlocked.Increment(ref SyncCount);
            synced = target;
        }
        finally
        {
            lock (_syncGate)
            {
                if (synced > _durableEnd) Volatile.Write(ref _durableEnd, synced);
                _syncInProgress = false;
                Monitor.PulseAll(_syncGate);
            }
        }
    }

    public void SyncToDisk()
    {
        lock (_syncGate)
        {
            ThrowIfFailed();
            FlushBuffer();
            Fsync();
            Volatile.Write(ref _durableEnd, _appendEnd);
        }
    }

    /// <summary>
    /// fsync, and if it fails, refuse every later write: after a failed fsync the OS may have dropped the dirty
    /// pages and a retry can report success for data that is gone, so nothing more may be acknowledged as durable.
    /// </summary>
    private void Fsync()
    {
        try
        {
            BeforeFsync?.Invoke();
            RandomAccess.FlushToDisk(_handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail($"an fsync failed ({ex.Message}), so durability can no longer be guaranteed", ex);
            throw;
        }
    }

    /// <summary>Drops everything from <paramref name="offset"/> on (an aborted batch). Caller holds the write lock.</summary>
    public void TruncateTo(long offset)
    {
        if (offset >= _flushedEnd)
        {
            _bufferLength = (int)(offset - _flushedEnd);
        }
        else
        {
            // cut the file first: if that fails, nothing here has changed, and the file is poisoned rather than left
            // with records the bookkeeping no longer knows about
            try
            {
                RandomAccess.SetLength(_handle, offset);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Fail($"rolling back could not cut the file back to {offset} bytes ({ex.Message})", ex);
                throw;
            }
            _bufferLength = 0;
            Volatile.Write(ref _flushedEnd, offset);
            Interlocked.MemoryBarrier();
        }
        Volatile.Write(ref _appendEnd, offset);
        lock (_syncGate)
        {
            if (_durableEnd > offset) Volatile.Write(ref _durableEnd, offset);
        }
    }
}
