using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

public sealed partial class SkvStore
{
    private enum PutMode { Upsert, InsertOnly, UpdateOnly }

    private int _transactionThread = -1;
    private readonly WriterActivity _activity = new(); // who is writing right now, for group commit

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
            if (!KeyIndex.TryFind(s.Root, key, out _)) return false;
            long offset = s.File.Append(RecordKind.Delete, RecordFlags.None, key, default);
            var root = KeyIndex.Remove(s.Root, key, new object(), out var removed);
            file = s.File;
            end = CommitLocked(file, offset, s with
            {
                Root = root,
                Count = s.Count - 1,
                FileRecords = s.FileRecords + 1,
                LiveBytes = s.LiveBytes - RecordFormat.RecordSize(key.Length, removed!.Value.ValueLength),
            });
        }
        finally
        {
            ExitSingleWrite();
        }
        WaitDurableIfNeeded(file, end);
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
            long offset = s.File.Append(RecordKind.Clear, RecordFlags.None, default, default);
            file = s.File;
            end = CommitLocked(file, offset, s with { Root = KeyIndex.Empty, Count = 0, FileRecords = s.FileRecords + 1, LiveBytes = 0 });
        }
        finally
        {
            ExitSingleWrite();
        }
        WaitDurableIfNeeded(file, end);
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
                bool exists = KeyIndex.TryFind(s.Root, key, out _);
                if (exists == (mode == PutMode.InsertOnly)) return false;
            }
            long offset = s.File.Append(RecordKind.Put, RecordFlags.None, key, value);
            var root = KeyIndex.Set(s.Root, key, new IndexEntry(offset, value.Length), new object(), out var previous);
            long live = s.LiveBytes + RecordFormat.RecordSize(key.Length, value.Length);
            if (previous is { } p) live -= RecordFormat.RecordSize(key.Length, p.ValueLength);
            file = s.File;
            end = CommitLocked(file, offset, s with
            {
                Root = root,
                Count = previous is null ? s.Count + 1 : s.Count,
                FileRecords = s.FileRecords + 1,
                LiveBytes = live,
            });
        }
        finally
        {
            ExitSingleWrite();
        }
        WaitDurableIfNeeded(file, end);
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
    /// Starts a write transaction: it holds the store's write lock until Commit or Dispose, so keep it short
    /// (other writers wait; readers do not). Its writes stream to the file as they are made, so it can be larger
    /// than memory; they become visible and durable together at Commit, and vanish on Dispose without Commit
    /// or on a crash before Commit.
    /// </summary>
    public SkvTransaction BeginTransaction()
    {
        EnterWrite();
        try
        {
            _transactionThread = Environment.CurrentManagedThreadId;
            return new SkvTransaction(this, _state);
        }
        catch
        {
            _transactionThread = -1;
            ExitWrite();
            throw;
        }
    }

    /// <summary>Hands buffered writes to the OS, and with <paramref name="durable"/> to stable storage.</summary>
    public void Flush(bool durable = true)
    {
        EnterWrite();
        try
        {
            if (durable) _state.File.SyncToDisk();
            else _state.File.FlushBuffer();
        }
        finally
        {
            ExitWrite();
        }
    }

    // ------------------------------------------------------------------ plumbing shared with SkvTransaction

    internal void EnterWrite()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (IsReadOnly) throw new SkvException($"{FilePath} is open read-only");
        if (_transactionThread == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException("this thread has a transaction open on the store: write through the transaction, or commit it first");
        _writeLock.Wait();
        if (Volatile.Read(ref _disposed) != 0)
        {
            _writeLock.Release();
            throw new ObjectDisposedException(nameof(SkvStore));
        }
    }

    internal void ExitWrite() => _writeLock.Release();

    /// <summary>The write lock for one Put/Delete/Clear, counted as in flight until it has appended (group commit).</summary>
    private void EnterSingleWrite()
    {
        _activity.Enter();
        try
        {
            EnterWrite();
        }
        catch
        {
            _activity.Appended();
            throw;
        }
    }

    private void ExitSingleWrite()
    {
        _activity.Appended();
        ExitWrite();
    }

    internal void EndTransaction()
    {
        _transactionThread = -1;
        ExitWrite();
    }

    internal void Publish(StoreState state) => _state = state;

    /// <summary>
    /// Makes a single-record write visible: the durability mode's in-lock part first, so that a write the OS
    /// refused (disk full) is cut off again and never seen by readers; returns the end a Fsync caller waits for.
    /// </summary>
    private long CommitLocked(DataFile file, long recordOffset, StoreState next)
    {
        long end;
        try
        {
            end = AfterCommitLocked(file);
        }
        catch
        {
            file.TruncateTo(recordOffset);
            throw;
        }
        _state = next;
        PinForDurability(file);
        return end;
    }

    /// <summary>
    /// A Fsync writer waits for its sync after leaving the write lock; pin the file (under the lock, where it is
    /// still current) so that a compaction or Dispose meanwhile cannot close it under the wait.
    /// </summary>
    internal void PinForDurability(DataFile file)
    {
        if (_options.Durability == SkvDurability.Fsync && !file.TryAcquire())
            throw new ObjectDisposedException(nameof(SkvStore));
    }

    /// <summary>Applies the durability mode's in-lock part; returns the file end a Fsync caller waits for.</summary>
    internal long AfterCommitLocked(DataFile file)
    {
        // Fsync too hands the record to the OS here, under the lock: a refused write is then rolled back unseen,
        // and what is left for the group commit outside the lock is the fsync alone
        if (_options.Durability != SkvDurability.None) file.FlushBuffer();
        return file.AppendEnd;
    }

    /// <summary>Waits for the group commit that covers <paramref name="end"/>, then lets go of the pin.</summary>
    internal void WaitDurableIfNeeded(DataFile file, long end)
    {
        if (_options.Durability != SkvDurability.Fsync) return;
        try
        {
            file.WaitDurable(end, _writeLock, _activity);
        }
        finally
        {
            file.Release();
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
