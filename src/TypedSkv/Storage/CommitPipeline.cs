namespace TypedSkv.Storage;

/// <summary>
/// How a write becomes committed and durable, for single writes and transactions alike:
/// <list type="number">
/// <item>the writer takes the write lock (<see cref="EnterAsync"/> / <see cref="Enter"/>, with the store's timeout);</item>
/// <item>it appends its records to the <see cref="DataFile"/>;</item>
/// <item><see cref="CommitLocked"/>: in Flush and Fsync modes the records are handed to the OS (a refusal is undone
/// before anyone sees it), the file's committed end moves, the new state is published, and the file is pinned;</item>
/// <item>the writer leaves the lock, and in Fsync mode waits for a group-commit sync that covers its end
/// (<see cref="WaitDurable"/>). The sync leader never takes the write lock: it syncs up to the committed end it
/// read, so an open transaction (a restore, an index rebuild) never delays another writer's acknowledgement.</item>
/// </list>
/// Poisoning: once a data sync, directory sync or rename on the durability path fails, or a failed write left bytes
/// in the file that the store does not account for, every later write and sync is refused (the OS may have dropped
/// the unsynced pages, so a retried fsync could report success for data that is gone). Reopening recovers.
/// </summary>
internal sealed class CommitPipeline
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly object _syncGate = new();
    private SyncRound? _round;            // the sync in progress, which later waiters join or follow
    private SkvException? _failure;
    private readonly string _path;
    private readonly Action<StoreState> _publish;

    public CommitPipeline(string path, SkvDurability durability, TimeSpan lockTimeout, Action<StoreState> publish)
    {
        _path = path;
        _publish = publish;
        Durability = durability;
        LockTimeout = lockTimeout;
    }

    public SkvDurability Durability { get; }
    public TimeSpan LockTimeout { get; }

    /// <summary>Single writes between their call and their append (a sync leader gives them a moment to append first).</summary>
    public WriterActivity Activity { get; } = new();

    // ---------------------------------------------------------------- the write lock

    public void Enter(CancellationToken cancellationToken = default)
    {
        if (!_writeLock.Wait(LockTimeout, cancellationToken)) throw LockTimedOut();
    }

    public async ValueTask EnterAsync(CancellationToken cancellationToken)
    {
        if (!await _writeLock.WaitAsync(LockTimeout, cancellationToken).ConfigureAwait(false)) throw LockTimedOut();
    }

    /// <summary>The write lock without the timeout (Dispose: it must not give up and leave the store half closed).</summary>
    public void EnterUnbounded() => _writeLock.Wait();

    public void Exit() => _writeLock.Release();

    private SkvWriteLockTimeoutException LockTimedOut() => new(_path, LockTimeout);

    // ---------------------------------------------------------------- failure policy

    public bool IsPoisoned => Volatile.Read(ref _failure) is not null;

    public void ThrowIfPoisoned()
    {
        if (Volatile.Read(ref _failure) is { } failure) throw failure;
    }

    public void Poison(string what, Exception cause)
    {
        Interlocked.CompareExchange(ref _failure, new SkvException($"{_path}: {what}; the store takes no more writes: reopen it", cause), null);
        lock (_syncGate) Monitor.PulseAll(_syncGate);
    }

    /// <summary>
    /// A write the OS refused: when the file holds bytes of it (it failed part way), those bytes may already be seen
    /// by readers and cannot be taken back, so the store is poisoned. Otherwise nothing reached the OS and the
    /// store goes on.
    /// </summary>
    public void CheckFailedWrite(DataFile file, Exception cause)
    {
        if (file.HasBytesPastFlushedEnd()) Poison("a write failed part way and left bytes at the end of the file", cause);
    }

    /// <summary>
    /// <see cref="CheckFailedWrite"/>, then drops the records from <paramref name="start"/> (all still in the write
    /// buffer, since none reached the OS) so that the next write does not carry them.
    /// </summary>
    public void AbandonFailedWrite(DataFile file, long start, Exception cause)
    {
        CheckFailedWrite(file, cause);
        if (!IsPoisoned && !file.TryDiscardBuffered(start))
            Poison("a refused write could not be dropped from the write buffer", cause);
    }

    // ---------------------------------------------------------------- commit

    /// <summary>
    /// The in-lock part of every commit (caller holds the write lock and has appended from <paramref name="start"/>):
    /// Flush and Fsync modes hand the records to the OS first, so a refused write is undone unseen; then the committed
    /// end moves and <paramref name="next"/> is published to readers. Returns the end a Fsync caller waits for,
    /// with the file pinned for that wait (<see cref="WaitDurable"/> releases it).
    /// </summary>
    public long CommitLocked(DataFile file, long start, StoreState next)
    {
        ThrowIfPoisoned();
        if (Durability != SkvDurability.None)
        {
            try
            {
                file.FlushBuffer();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                AbandonFailedWrite(file, start, ex);
                throw;
            }
        }
        long end = file.AppendEnd;
        // a sync covers only what is in the OS; None-mode records reach it at the next flush
        Volatile.Write(ref file.CommittedEnd, file.FlushedEnd);
        _publish(next);
        if (Durability == SkvDurability.Fsync && !file.TryAcquire()) throw new ObjectDisposedException(nameof(SkvStore));
        return end;
    }

    // ---------------------------------------------------------------- group commit

    private sealed class SyncRound
    {
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Waits until everything up to <paramref name="end"/> of <paramref name="file"/> is durable, then unpins it.</summary>
    public void WaitDurable(DataFile file, long end)
    {
        if (Durability != SkvDurability.Fsync) return;
        try
        {
            while (!IsDurable(file, end, out var round, out bool lead))
            {
                if (lead) Sync(file, round);
                else round.Done.Task.Wait();
            }
        }
        finally
        {
            file.Release();
        }
    }

    /// <summary><see cref="WaitDurable"/> without blocking a thread while another writer's sync runs.</summary>
    public async ValueTask WaitDurableAsync(DataFile file, long end)
    {
        if (Durability != SkvDurability.Fsync) return;
        try
        {
            while (!IsDurable(file, end, out var round, out bool lead))
            {
                // the fsync of a round an async writer leads runs on the pipeline's sync thread, not on the writer's
                // (a thread-pool thread): blocked in fdatasync, it would keep the other writers' continuations from
                // appending, and each round would cover one commit (64 outstanding async commits: 621/s, against
                // 2718/s from 8 blocking threads on the same machine)
                if (lead) SyncOnSyncThread(file, round);
                await round.Done.Task.ConfigureAwait(false);
            }
        }
        finally
        {
            file.Release();
        }
    }

    private readonly Queue<(DataFile File, SyncRound Round)> _syncRequests = new();
    private bool _syncThreadRunning;

    /// <summary>Runs the round's sync on the sync thread (started when needed; it ends after a second without work).</summary>
    private void SyncOnSyncThread(DataFile file, SyncRound round)
    {
        lock (_syncRequests)
        {
            _syncRequests.Enqueue((file, round));
            if (_syncThreadRunning)
            {
                Monitor.Pulse(_syncRequests);
                return;
            }
            _syncThreadRunning = true;
        }
        new Thread(SyncThread) { IsBackground = true, Name = "TypedSkv group commit" }.Start();
    }

    private void SyncThread()
    {
        while (true)
        {
            (DataFile File, SyncRound Round) next;
            lock (_syncRequests)
            {
                while (_syncRequests.Count == 0)
                {
                    if (!Monitor.Wait(_syncRequests, TimeSpan.FromSeconds(1)) && _syncRequests.Count == 0)
                    {
                        _syncThreadRunning = false;
                        return;
                    }
                }
                next = _syncRequests.Dequeue();
            }
            try
            {
                // the waiters hold the file (their commit pinned it) until the round is done
                Sync(next.File, next.Round);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SkvException)
            {
                // the store is poisoned now: every waiter of the round finds that when it checks again
            }
        }
    }

    /// <summary>True when durable; otherwise the sync round to lead (<paramref name="lead"/>) or to wait for.</summary>
    private bool IsDurable(DataFile file, long end, out SyncRound round, out bool lead)
    {
        round = null!;
        lead = false;
        if (Volatile.Read(ref file.DurableEnd) >= end) return true;
        lock (_syncGate)
        {
            if (file.DurableEnd >= end) return true;
            // after a failed fsync a retry may "succeed" for pages the OS already dropped: acknowledge nothing
            ThrowIfPoisoned();
            if (_round is null)
            {
                _round = new SyncRound();
                lead = true;
            }
            round = _round;
            return false;
        }
    }

    private void Sync(DataFile file, SyncRound round)
    {
        try
        {
            // Writers between their call and their append would just miss this sync and need another: give them a
            // moment (bounded far below a sync's cost) to append first.
            for (int i = 0; i < 256 && Activity.Pending > 0; i++) Thread.Yield();
            long target = Volatile.Read(ref file.CommittedEnd);
            SyncData(file);
            lock (_syncGate)
            {
                if (target > file.DurableEnd) Volatile.Write(ref file.DurableEnd, target);
            }
        }
        finally
        {
            lock (_syncGate) _round = null;
            round.Done.TrySetResult();
        }
    }

    /// <summary>A data sync of the file; a failure poisons the store (the OS may have dropped the unsynced pages).</summary>
    public void SyncData(DataFile file)
    {
        try
        {
            file.SyncData();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Poison($"an fsync failed ({ex.Message}), so durability can no longer be guaranteed", ex);
            throw;
        }
    }

    /// <summary>Flushes and syncs everything appended (caller holds the write lock): Flush(), Dispose, compaction.</summary>
    public void SyncAll(DataFile file)
    {
        ThrowIfPoisoned();
        try
        {
            file.FlushBuffer();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            CheckFailedWrite(file, ex); // refused before anything landed: the buffer is kept for a retry
            throw;
        }
        Volatile.Write(ref file.CommittedEnd, file.FlushedEnd);
        SyncData(file);
        lock (_syncGate)
        {
            if (file.FlushedEnd > file.DurableEnd) Volatile.Write(ref file.DurableEnd, file.FlushedEnd);
        }
    }

    /// <summary>
    /// Everything up to <paramref name="end"/> is durable by other means (a compaction copied it into a new file and
    /// synced that): whoever waits for a sync of this file is done.
    /// </summary>
    public void MarkDurable(DataFile file, long end)
    {
        lock (_syncGate)
        {
            if (end > file.DurableEnd) Volatile.Write(ref file.DurableEnd, end);
        }
    }
}
