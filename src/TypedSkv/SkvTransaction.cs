using System.Diagnostics.CodeAnalysis;
using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// A write transaction from <see cref="SkvStore.BeginTransaction"/>: reads see its own writes, other readers
/// see none of them until <see cref="Commit"/>. Not tied to a thread (it may cross <c>await</c>), but not
/// thread-safe: use it from one flow at a time. Dispose without Commit rolls back: records that never left the
/// write buffer are dropped, and records that reached the file are closed by an Abort record, so that no reader
/// ever sees them take effect and no file range is reused.
/// </summary>
public sealed class SkvTransaction : ISkvWriteTransaction, ISkvRecordSink
{
    private readonly SkvStore _store;
    private readonly CommitPipeline _pipeline;
    private readonly StoreState _start;
    private readonly DataFile _file;
    private readonly long _startOffset;
    private readonly object _owner = new();
    private IndexLayers _index;
    private long _count;
    private long _liveBytes;
    private int _records;
    private bool _finished;
    // a write-only restore transaction: the index of its writes is sorted on disk, not held in memory (null otherwise)
    private readonly SortedEntrySpill? _spill;
    private bool _cleared;
    private bool _inLog; // its commit record is durable: it has taken effect and is never undone

    internal SkvTransaction(SkvStore store, StoreState start, CommitPipeline pipeline, SortedEntrySpill? spill = null)
    {
        _spill = spill;
        _store = store;
        _pipeline = pipeline;
        _start = start;
        _file = start.File;
        _startOffset = _file.AppendEnd;
        _index = start.Index;
        _count = start.Count;
        _liveBytes = start.LiveBytes;
    }

    /// <summary>Keys the store will hold if this commits.</summary>
    public long Count => _spill is null ? _count : throw WriteOnly();

    /// <summary>Whether this is a restore's write-only transaction (see <see cref="SkvStore.BeginRestoreTransaction"/>).</summary>
    internal bool IsWriteOnly => _spill is not null;

    private static InvalidOperationException WriteOnly() =>
        new("a restore transaction is write-only: it keeps no index of its writes in memory, so it cannot read them back");

    /// <summary>Operations written so far.</summary>
    public int RecordCount => _records;

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfFinished();
        SkvStore.ValidateKey(key);
        SkvStore.ValidateValue(value);
        long offset = Append(RecordKind.Put, key, value);
        if (_spill is not null)
        {
            _spill.Add(key, new IndexEntry(offset, value.Length));
            return;
        }
        _index = _index.Put(key, new IndexEntry(offset, value.Length), _owner, out var previous);
        _liveBytes += RecordFormat.RecordSize(key.Length, value.Length);
        if (previous is { } p) _liveBytes -= RecordFormat.RecordSize(key.Length, p.ValueLength);
        else _count++;
    }

    public void Put(string key, string value) => Put(SkvStore.Utf8(key), SkvStore.Utf8(value));

    /// <summary>Removes a key; returns whether it existed (as seen by this transaction).</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfFinished();
        if (_spill is not null) throw WriteOnly();
        SkvStore.ValidateKey(key);
        if (!_index.TryFind(key, out _)) return false;
        Append(RecordKind.Delete, key, default);
        _index = _index.Delete(key, _owner, out var removed);
        _count--;
        _liveBytes -= RecordFormat.RecordSize(key.Length, removed!.Value.ValueLength);
        return true;
    }

    public bool Delete(string key) => Delete(SkvStore.Utf8(key));

    /// <summary>Removes every key (the restore "replace" mode starts with this).</summary>
    public void Clear()
    {
        ThrowIfFinished();
        Append(RecordKind.Clear, default, default);
        _spill?.Clear();
        _cleared = true;
        _index = _index.Clear();
        _count = 0;
        _liveBytes = 0;
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        ThrowIfFinished();
        if (_spill is not null) throw WriteOnly();
        if (!_index.TryFind(key, out var entry))
        {
            value = null;
            return false;
        }
        value = _file.ReadValue(entry.Offset, key, entry.ValueLength);
        return true;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        ThrowIfFinished();
        if (_spill is not null) throw WriteOnly();
        return _index.TryFind(key, out _);
    }

    /// <summary>Keys in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>) as this transaction sees them (see <see cref="ISkvWriteTransaction.ScanRange"/>).</summary>
    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive)
    {
        ThrowIfFinished();
        if (_spill is not null) throw WriteOnly();
        return Scan(fromInclusive, toExclusive);
    }

    private IEnumerable<SkvEntry> Scan(byte[]? from, byte[]? to)
    {
        // the transaction edits its index in place: a write during the scan would change the nodes being walked
        int records = _records;
        foreach (var (key, entry) in _index.Range(from, to))
        {
            if (_finished || _records != records) throw new InvalidOperationException("the transaction was written to, committed or rolled back during a scan of it");
            yield return new SkvEntry(key.ToArray(), _file, entry.Offset, entry.ValueLength);
        }
    }

    private long Append(RecordKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        _pipeline.ThrowIfPoisoned();
        try
        {
            long offset = _file.Append(kind, RecordFlags.InBatch, key, value);
            _records++;
            return offset;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _pipeline.CheckFailedWrite(_file, ex);
            throw;
        }
    }

    /// <summary>Makes every write of the transaction visible and (per the store's durability) durable, at once.</summary>
    public void Commit()
    {
        long end = CommitLocked();
        if (end >= 0) _pipeline.WaitDurable(_file, end);
    }

    /// <summary>
    /// <see cref="Commit"/>, waiting for the durable sync (Fsync mode) without blocking a thread. A cancellation is
    /// honoured before the commit only (the transaction stays open: dispose it to roll back).
    /// </summary>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        long end = CommitLocked();
        if (end >= 0) await _pipeline.WaitDurableAsync(_file, end).ConfigureAwait(false);
    }

    /// <summary>The commit up to leaving the write lock; returns the end to wait for, or -1 when nothing was written.</summary>
    private long CommitLocked()
    {
        ThrowIfFinished();
        _finished = true;
        try
        {
            if (_records == 0) return -1;
            _pipeline.ThrowIfPoisoned();
            if (_spill is not null)
            {
                // small after all: its entries join the in-memory overlay like any transaction's
                if (!_spill.Spilled && _spill.Entries <= _store.CheckpointEntriesThreshold) IndexSpilledEntries();
                else return CommitWithCheckpointLocked();
            }
            long commitAt = AppendCommitRecord();
            // the pipeline hands the records to the OS before publishing: a commit the OS refused is undone unseen
            return _pipeline.CommitLocked(_file, commitAt, _start with
            {
                Index = _index,
                Count = _count,
                FileRecords = _start.FileRecords + _records + 1,
                LiveBytes = _liveBytes,
            });
        }
        catch
        {
            AbortLocked();
            throw;
        }
        finally
        {
            _spill?.Dispose();
            _store.EndTransaction(releaseCheckpointGate: _spill is not null);
        }
    }

    /// <summary>Appends the batch's Commit record; returns where it starts.</summary>
    private long AppendCommitRecord()
    {
        long commitAt = _file.AppendEnd;
        try
        {
            _file.AppendBatchEnd(RecordKind.Commit, _records);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _pipeline.CheckFailedWrite(_file, ex);
            throw;
        }
        return commitAt;
    }

    /// <summary>The write-only transaction's entries, put into the overlay (few: they were never spilled).</summary>
    private void IndexSpilledEntries()
    {
        foreach (var (key, entry) in _spill!.Merge(null))
        {
            _index = _index.Put(key.Span, entry, _owner, out var previous);
            _liveBytes += RecordFormat.RecordSize(key.Length, entry.ValueLength);
            if (previous is { } p) _liveBytes -= RecordFormat.RecordSize(key.Length, p.ValueLength);
            else _count++;
        }
    }

    /// <summary>
    /// The commit of a large write-only transaction: the commit record is made durable, then a new index checkpoint
    /// is written from the store's index (none after a Clear) merged with the transaction's sorted entries, and the
    /// state published over it with an empty overlay, so memory never holds the transaction's index. Once the
    /// commit record is on disk the transaction has taken effect (a crash from here on replays it): nothing after
    /// that point undoes it, and a checkpoint that cannot be written gives way to an index built in memory.
    /// </summary>
    private long CommitWithCheckpointLocked()
    {
        long commitAt = AppendCommitRecord();
        try
        {
            _file.FlushBuffer();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // refused with nothing written: the Commit record leaves the buffer with the write (rolled back below),
            // so an Abort can never follow a Commit in the log
            _pipeline.AbandonFailedWrite(_file, commitAt, ex);
            throw;
        }
        _pipeline.SyncAll(_file); // throws (and poisons) when the sync fails: the commit was not acknowledged
        _inLog = true;
        var next = _store.IndexMergedLocked(_start, () => _spill!.Merge(_cleared ? null : _start.Index.Range(null, null)),
            _start.FileRecords + _records + 1);
        return _pipeline.CommitLocked(_file, commitAt, next);
    }

    void ISkvWriteTransaction.Delete(ReadOnlySpan<byte> key) => Delete(key);

    /// <summary>Drops every write of the transaction (as Dispose without Commit does).</summary>
    public void Rollback() => Dispose();

    /// <summary>Rolls back unless committed.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        try
        {
            AbortLocked();
        }
        finally
        {
            _spill?.Dispose();
            _store.EndTransaction(releaseCheckpointGate: _spill is not null);
        }
    }

    /// <summary>
    /// Undoes the transaction in the file without shortening it: records still in the write buffer are forgotten;
    /// once some reached the OS, an Abort record closes the batch (readers drop it). Caller holds the write lock.
    /// </summary>
    private void AbortLocked()
    {
        if (_records == 0 || _pipeline.IsPoisoned || _inLog) return;
        if (_file.TryDiscardBuffered(_startOffset)) return;
        // (a commit record the OS refused was already dropped from the buffer by the pipeline)
        try
        {
            _file.AppendBatchEnd(RecordKind.Abort, _records);
            // the batch and its Abort stay in the file as dead records, which stats count and compaction drops
            _store.Publish(_start with { FileRecords = _start.FileRecords + _records + 1 });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _pipeline.Poison("a rolled-back transaction could not be closed with its Abort record", ex);
        }
    }

    private void ThrowIfFinished()
    {
        if (_finished) throw new InvalidOperationException("the transaction has been committed or rolled back");
    }
}
