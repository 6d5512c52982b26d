using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

public sealed partial class SkvStore
{
    private enum PutMode { Upsert, InsertOnly, UpdateOnly }

    private SkvTransaction? _openTransaction;

    /// <summary>Insert or overwrite.</summary>
    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => WriteOne(PutMode.Upsert, key, value);

    /// <summary>Adds a key that must not exist yet; false (and nothing written) when it does.</summary>
    public bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => WriteOne(PutMode.InsertOnly, key, value);

    /// <summary>Adds a key that must not exist yet; throws <see cref="SkvKeyExistsException"/> when it does.</summary>
    public void Insert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (!TryInsert(key, value)) throw new SkvKeyExistsException(key);
    }

    /// <summary>Replaces the value of an existing key; false (and nothing written) when the key is missing.</summary>
    public bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => WriteOne(PutMode.UpdateOnly, key, value);

    /// <summary>Replaces the value of an existing key; throws <see cref="SkvKeyNotFoundException"/> when missing.</summary>
    public void Update(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        if (!TryUpdate(key, value)) throw new SkvKeyNotFoundException(key);
    }

    public void Put(string key, string value) => Put(Utf8(key), Utf8(value));
    public void Put(string key, ReadOnlySpan<byte> value) => Put(Utf8(key), value);
    public bool TryInsert(string key, string value) => TryInsert(Utf8(key), Utf8(value));
    public void Insert(string key, string value) => Insert(Utf8(key), Utf8(value));
    public bool TryUpdate(string key, string value) => TryUpdate(Utf8(key), Utf8(value));
    public void Update(string key, string value) => Update(Utf8(key), Utf8(value));
    public bool Delete(string key) => Delete(Utf8(key));

    /// <summary>Removes a key; returns whether it existed (nothing is written when it did not).</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        ValidateKey(key);
        long end;
        DataFile file;
        EnterSingleWrite();
        try
        {
            var s = _state;
            if (!s.Index.TryFind(key, out _)) return false;
            file = s.File;
            long offset = AppendLocked(file, RecordKind.Delete, key, default);
            var index = s.Index.Delete(key, new object(), out var removed);
            end = _pipeline.CommitLocked(file, offset, s with
            {
                Index = index,
                Count = s.Count - 1,
                FileRecords = s.FileRecords + 1,
                LiveBytes = s.LiveBytes - RecordFormat.RecordSize(key.Length, removed!.Value.ValueLength),
            });
        }
        finally
        {
            ExitSingleWrite();
        }
        _pipeline.WaitDurable(file, end);
        return true;
    }

    /// <summary>Removes every key (one small record; compaction reclaims the space).</summary>
    public void Clear()
    {
        long end;
        DataFile file;
        EnterSingleWrite();
        try
        {
            var s = _state;
            file = s.File;
            long offset = AppendLocked(file, RecordKind.Clear, default, default);
            end = _pipeline.CommitLocked(file, offset, s with { Index = s.Index.Clear(), Count = 0, FileRecords = s.FileRecords + 1, LiveBytes = 0 });
        }
        finally
        {
            ExitSingleWrite();
        }
        _pipeline.WaitDurable(file, end);
    }

    private bool WriteOne(PutMode mode, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ValidateKey(key);
        ValidateValue(value);
        long end;
        DataFile file;
        EnterSingleWrite();
        try
        {
            var s = _state;
            if (mode != PutMode.Upsert)
            {
                bool exists = s.Index.TryFind(key, out _);
                if (exists == (mode == PutMode.InsertOnly)) return false;
            }
            file = s.File;
            long offset = AppendLocked(file, RecordKind.Put, key, value);
            var index = s.Index.Put(key, new IndexEntry(offset, value.Length), new object(), out var previous);
            long live = s.LiveBytes + RecordFormat.RecordSize(key.Length, value.Length);
            if (previous is { } p) live -= RecordFormat.RecordSize(key.Length, p.ValueLength);
            end = _pipeline.CommitLocked(file, offset, s with
            {
                Index = index,
                Count = previous is null ? s.Count + 1 : s.Count,
                FileRecords = s.FileRecords + 1,
                LiveBytes = live,
            });
        }
        finally
        {
            ExitSingleWrite();
        }
        _pipeline.WaitDurable(file, end);
        return true;
    }

    /// <summary>Applies every operation of the batch atomically: all of them or, also across a crash, none.</summary>
    public void Write(SkvWriteBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty) return;
        using var tx = BeginTransaction();
        batch.ApplyTo(tx);
        tx.Commit();
    }

    /// <summary>
    /// <see cref="Write"/> without blocking a thread while it waits for the write lock or, in Fsync mode, for the
    /// group commit's sync.
    /// </summary>
    public async Task WriteAsync(SkvWriteBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.IsEmpty) return;
        using var tx = await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        batch.ApplyTo(tx);
        await tx.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Starts a write transaction: it holds the store's write lock until Commit or Dispose, so keep it short
    /// (other writers wait, up to <see cref="SkvOptions.WriteLockTimeout"/>; readers do not). It is not tied to a
    /// thread: it may be used across <c>await</c>, from one flow at a time. Its writes stream to the file as they are
    /// made, so it can be larger than memory; they become visible and durable together at Commit, and never take
    /// effect on Dispose without Commit or on a crash before Commit.
    /// </summary>
    public SkvTransaction BeginTransaction()
    {
        EnterWrite();
        return StartTransaction();
    }

    /// <summary><see cref="BeginTransaction"/>, waiting for the write lock without blocking a thread.</summary>
    public async Task<SkvTransaction> BeginTransactionAsync(CancellationToken cancellationToken = default)
    {
        await EnterWriteAsync(cancellationToken).ConfigureAwait(false);
        return StartTransaction();
    }

    /// <summary>
    /// The transaction a restore writes into: write-only (it never reads its own writes back), so the index of its
    /// writes need not be held in memory. Its entries are sorted on disk (<see cref="SortedEntrySpill"/>) and, when
    /// there are many, its commit writes a new index checkpoint instead of growing the overlay: a restore of 10M
    /// records into one transaction runs in bounded memory. All or nothing as any transaction. It holds the
    /// checkpoint gate (taken before the write lock, the order compaction and background checkpoints use) for its
    /// whole life, since its commit writes the checkpoint. Without checkpoints it is an ordinary transaction.
    /// </summary>
    internal SkvTransaction BeginRestoreTransaction()
    {
        if (!_options.UseCheckpoint) return BeginTransaction();
        CheckWritable();
        if (!_checkpointGate.Wait(_options.WriteLockTimeout))
            throw new SkvWriteLockTimeoutException(FilePath, _options.WriteLockTimeout);
        try
        {
            EnterWrite();
        }
        catch
        {
            _checkpointGate.Release();
            throw;
        }
        return StartTransaction(new SortedEntrySpill(_realPath, _state.File.Seam, _options.RestoreSortBufferBytes), releaseGateOnFailure: true);
    }

    private SkvTransaction StartTransaction(SortedEntrySpill? spill = null, bool releaseGateOnFailure = false)
    {
        try
        {
            var tx = new SkvTransaction(this, _state, _pipeline, spill);
            Volatile.Write(ref _openTransaction, tx);
            return tx;
        }
        catch
        {
            ExitWrite();
            if (releaseGateOnFailure) _checkpointGate.Release();
            throw;
        }
    }

    /// <summary>Hands buffered writes to the OS, and with <paramref name="durable"/> to stable storage.</summary>
    public void Flush(bool durable = true)
    {
        EnterWrite();
        try
        {
            var file = _state.File;
            if (durable)
            {
                _pipeline.SyncAll(file);
            }
            else
            {
                _pipeline.ThrowIfPoisoned();
                try
                {
                    file.FlushBuffer();
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _pipeline.CheckFailedWrite(file, ex);
                    throw;
                }
                Volatile.Write(ref file.CommittedEnd, file.FlushedEnd);
            }
        }
        finally
        {
            ExitWrite();
        }
    }

    // ------------------------------------------------------------------ plumbing shared with SkvTransaction

    private void CheckWritable()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsReadOnly) throw new SkvException($"{FilePath} is open read-only");
        _pipeline.ThrowIfPoisoned();
    }

    internal void EnterWrite()
    {
        CheckWritable();
        _pipeline.Enter();
        AfterEnter();
    }

    private async ValueTask EnterWriteAsync(CancellationToken cancellationToken)
    {
        CheckWritable();
        await _pipeline.EnterAsync(cancellationToken).ConfigureAwait(false);
        AfterEnter();
    }

    private void AfterEnter()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            _pipeline.Exit();
            throw new ObjectDisposedException(nameof(SkvStore));
        }
    }

    internal void ExitWrite() => _pipeline.Exit();

    /// <summary>The write lock for one Put/Delete/Clear, counted as in flight until it has appended (group commit).</summary>
    private void EnterSingleWrite()
    {
        _pipeline.Activity.Enter();
        try
        {
            EnterWrite();
        }
        catch
        {
            _pipeline.Activity.Appended();
            throw;
        }
    }

    private void ExitSingleWrite()
    {
        _pipeline.Activity.Appended();
        MaybeCheckpointLocked();
        ExitWrite();
    }

    internal void EndTransaction(bool releaseCheckpointGate = false)
    {
        Volatile.Write(ref _openTransaction, null);
        try
        {
            MaybeCheckpointLocked();
            ExitWrite();
        }
        finally
        {
            if (releaseCheckpointGate) _checkpointGate.Release();
        }
    }

    /// <summary>Makes <paramref name="next"/> the state readers see (write lock held); lets go of a checkpoint it no longer uses.</summary>
    internal void Publish(StoreState next)
    {
        var previous = _state;
        _state = next;
        if (previous.Index.Base is { } old && !ReferenceEquals(old, next.Index.Base)) old.Release();
    }

    /// <summary>Appends one record of a single write; a refusal of the OS is checked for bytes it may have left.</summary>
    private long AppendLocked(DataFile file, RecordKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        try
        {
            return file.Append(kind, RecordFlags.None, key, value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _pipeline.CheckFailedWrite(file, ex);
            throw;
        }
    }

    internal static void ValidateKey(ReadOnlySpan<byte> key)
    {
        if (key.Length is 0 or > RecordFormat.MaxKeyLength)
            throw new ArgumentException($"a key must be 1 to {RecordFormat.MaxKeyLength} bytes, this one is {key.Length}", nameof(key));
    }

    internal static void ValidateValue(ReadOnlySpan<byte> value)
    {
        if (value.Length > RecordFormat.MaxValueLength)
            throw new ArgumentException($"a value must be at most {RecordFormat.MaxValueLength} bytes, this one is {value.Length}", nameof(value));
    }
}
