using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

public sealed partial class SkvStore
{
    // Checkpoints and compactions both write <file>.idx: one at a time. Order: this gate, then the write lock.
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private Task? _merge;
    private FrozenPoint? _frozenAt;     // what the frozen overlay's checkpoint will cover, while one is pending

    /// <summary>The log offset and figures of the state a pending checkpoint is written for.</summary>
    private sealed record FrozenPoint(long CoveredEnd, long Count, long FileRecords, long LiveBytes);

    /// <summary>The last failure of a background checkpoint (the log is the truth: nothing is lost, the next try follows).</summary>
    internal Exception? LastCheckpointError { get; private set; }

    /// <summary>Whether the checkpoint in use met a damaged block and answers from an index rebuilt from the log (tests).</summary>
    internal bool CheckpointFellBackToLog => _state.Index.Base?.FellBackToLog ?? false;

    /// <summary>Waits for a background checkpoint in progress (tests, benchmarks).</summary>
    internal void WaitForCheckpoint() => _merge?.Wait();

    private string CheckpointPath => _realPath + Checkpoint.Suffix;

    private long CoveredEnd(StoreState s) => s.Index.Base?.CoveredEnd ?? RecordFormat.FileHeaderSize;

    // Every checkpoint rewrites the whole index, so the thresholds grow with it (an eighth of the checkpoint), which keeps
    // a bulk load's index writes linear in its size; the log threshold is capped so that a crash's replay stays short.
    private long EntriesThreshold(StoreState s) => Math.Max(_options.CheckpointThreshold, (s.Index.Base?.Count ?? 0) / 8);

    private long LogBytesThreshold(StoreState s) =>
        Math.Max(_options.CheckpointLogBytes, Math.Min(8 * _options.CheckpointLogBytes, (CoveredEnd(s) - RecordFormat.FileHeaderSize) / 8));

    private bool CheckpointDue(StoreState s) =>
        _options.UseCheckpoint && !IsReadOnly &&
        (s.Index.ActiveEntries >= EntriesThreshold(s) || s.File.AppendEnd - CoveredEnd(s) >= LogBytesThreshold(s));

    private bool ShouldCheckpointAtClose(StoreState s) =>
        _options.UseCheckpoint && !_pipeline.IsPoisoned &&
        (s.Index.Frozen is not null || s.Index.ActiveEntries >= _options.CheckpointThreshold / 10
            || s.File.AppendEnd - CoveredEnd(s) >= _options.CheckpointLogBytes / 10);

    /// <summary>A writable open that replayed much of the log (no usable checkpoint) writes one in the background.</summary>
    private void AfterOpen()
    {
        if (!CheckpointDue(_state)) return;
        _pipeline.Enter();
        try
        {
            MaybeCheckpointLocked();
        }
        finally
        {
            _pipeline.Exit();
        }
    }

    /// <summary>
    /// After a commit, under the write lock: when the overlay or the log since the checkpoint passed its threshold,
    /// freeze the overlay (new writes go to a fresh one) and write the new checkpoint in the background. Readers never
    /// wait for it; writers wait only for the swap at its end.
    /// </summary>
    private void MaybeCheckpointLocked()
    {
        var s = _state;
        // (a finished task may still be referenced: the task can end before the assignment below runs)
        if (_merge is { IsCompleted: false } || !CheckpointDue(s) || _pipeline.IsPoisoned || Volatile.Read(ref _disposed) != 0) return;
        var file = s.File;
        try
        {
            file.FlushBuffer(); // what the checkpoint covers must be in the OS (it is synced before the checkpoint is)
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _pipeline.CheckFailedWrite(file, ex);
            return;
        }
        StoreState frozen = s;
        if (s.Index.Frozen is null)
        {
            frozen = s with { Index = s.Index with { Frozen = s.Index.Active, Active = KeyIndex.Empty, ActiveEntries = 0 } };
            Publish(frozen);
            _frozenAt = new FrozenPoint(file.AppendEnd, s.Count, s.FileRecords, s.LiveBytes);
        }
        var at = _frozenAt!;
        if (!frozen.TryPin()) return;
        _merge = Task.Run(() => RunCheckpoint(frozen, at));
    }

    private void RunCheckpoint(StoreState frozen, FrozenPoint at)
    {
        _checkpointGate.Wait();
        try
        {
            // a compaction (it holds the gate) replaced the file meanwhile: <file>.idx is the new file's now; or a restore
            // transaction (it holds the gate too) wrote a newer checkpoint and dropped the frozen layer: this older one
            // must not overwrite it
            var now = _state;
            if (Volatile.Read(ref _disposed) != 0 || !ReferenceEquals(now.File, frozen.File) || !ReferenceEquals(now.Index.Frozen, frozen.Index.Frozen)) return;
            Checkpoint? written;
            try
            {
                written = WriteCheckpoint(frozen.File, frozen.Index.BelowActive, at, reopen: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SkvException)
            {
                LastCheckpointError = ex;
                return;
            }
            _pipeline.EnterUnbounded(); // a long transaction delays the swap, never the readers
            try
            {
                var current = _state;
                if (ReferenceEquals(current.Index.Frozen, frozen.Index.Frozen) && ReferenceEquals(current.File, frozen.File))
                {
                    Publish(current with { Index = current.Index with { Base = written, Frozen = null } });
                    _frozenAt = null;
                    written = null;
                }
                // else a Clear dropped the layers meanwhile: the checkpoint on disk is still right for its own offset
                // (a replay from there applies the Clear)
            }
            finally
            {
                _pipeline.Exit();
                written?.Release();
            }
            LastCheckpointError = null;
        }
        finally
        {
            frozen.Unpin();
            _checkpointGate.Release();
        }
    }

    /// <summary>
    /// Writes the checkpoint of <paramref name="view"/> as of <paramref name="at"/>: the data file is synced up to
    /// there first (a checkpoint never covers log bytes a power loss could take back). Returns it opened when asked.
    /// </summary>
    private Checkpoint? WriteCheckpoint(DataFile file, IndexLayers view, FrozenPoint at, bool reopen)
    {
        _pipeline.SyncData(file);
        using (var writer = new Checkpoint.Writer(CheckpointPath, file.Seam))
        {
            foreach (var (key, entry) in view.Range(null, null)) writer.Add(key.Span, entry);
            writer.Complete(file.Handle, at.CoveredEnd, at.Count, at.FileRecords, at.LiveBytes);
        }
        if (!reopen) return null;
        var handle = file.Handle;
        string path = _realPath;
        return Checkpoint.TryOpen(CheckpointPath, handle, file.FlushedEnd, covered => LogScanner.IndexUpTo(path, handle, covered), out string? why)
            ?? throw new IOException($"the index checkpoint just written does not validate: {why}");
    }

    /// <summary>Keys in the in-memory overlay (writes since the last checkpoint began; tests).</summary>
    internal long OverlayEntries => _state.Index.ActiveEntries;

    /// <summary>The overlay size at which a checkpoint is due (a write-only transaction below it joins the overlay).</summary>
    internal long CheckpointEntriesThreshold => EntriesThreshold(_state);

    /// <summary>
    /// The state after a large write-only transaction whose commit record is durable (write lock and checkpoint gate
    /// held): a checkpoint written from <paramref name="entries"/> (every live key in order, its newest entry), opened
    /// as the new base with an empty overlay. Never throws for an I/O failure: the commit has taken effect, so a
    /// checkpoint that cannot be written or opened gives way to the same index built in memory (and the next
    /// checkpoint follows as usual).
    /// </summary>
    internal StoreState IndexMergedLocked(StoreState start, Func<IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)>> entries, long fileRecords)
    {
        var file = start.File;
        long count = 0, liveBytes = 0;
        try
        {
            using (var writer = new Checkpoint.Writer(CheckpointPath, file.Seam))
            {
                foreach (var (key, entry) in entries())
                {
                    writer.Add(key.Span, entry);
                    count++;
                    liveBytes += RecordFormat.RecordSize(key.Length, entry.ValueLength);
                }
                writer.Complete(file.Handle, file.AppendEnd, count, fileRecords, liveBytes);
            }
            var handle = file.Handle;
            string path = _realPath;
            var written = Checkpoint.TryOpen(CheckpointPath, handle, file.FlushedEnd, covered => LogScanner.IndexUpTo(path, handle, covered), out string? why)
                ?? throw new IOException($"the index checkpoint just written does not validate: {why}");
            _frozenAt = null; // the new checkpoint covers whatever a pending one would have
            LastCheckpointError = null;
            return start with { Index = IndexLayers.Over(written), Count = count, FileRecords = fileRecords, LiveBytes = liveBytes };
        }
        catch (Exception ex)
        {
            LastCheckpointError = ex;
            var dense = new List<(ReadOnlyMemory<byte>, IndexEntry)>();
            liveBytes = 0;
            try
            {
                foreach (var (key, entry) in entries())
                {
                    dense.Add((key, entry));
                    liveBytes += RecordFormat.RecordSize(key.Length, entry.ValueLength);
                }
            }
            catch (Exception again)
            {
                // the commit is in the log but its index cannot be built: serving (and checkpointing) the state before
                // it would contradict the log, so the store takes no more writes; a reopen rebuilds from the log
                _pipeline.Poison($"a committed restore's index could not be built ({again.Message}); reopen the store", again);
                throw;
            }
            _frozenAt = null;
            return start with
            {
                Index = IndexLayers.Over(null) with { Active = KeyIndex.Build(dense), ActiveEntries = dense.Count },
                Count = dense.Count,
                FileRecords = fileRecords,
                LiveBytes = liveBytes,
            };
        }
    }

    /// <summary>At Dispose (write lock held, everything synced): a checkpoint of the whole state, so the next open is short.</summary>
    private void TryWriteCheckpointLocked()
    {
        var s = _state;
        try
        {
            WriteCheckpoint(s.File, s.Index, new FrozenPoint(s.File.AppendEnd, s.Count, s.FileRecords, s.LiveBytes), reopen: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LastCheckpointError = ex; // derived data: the next open replays the log instead
        }
    }
}
