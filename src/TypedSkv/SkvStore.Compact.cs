using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>What a compaction did.</summary>
public sealed record SkvCompactionResult(long LiveRecords, long BytesBefore, long BytesAfter, TimeSpan Duration)
{
    public long BytesReclaimed => BytesBefore - BytesAfter;
}

public sealed partial class SkvStore
{
    /// <summary>
    /// Rewrites the live records into a new file and swaps it in with an atomic rename. Readers keep reading
    /// throughout (the old file stays open until the last of them lets go); writers wait. A crash at any moment
    /// leaves either the complete old file or the complete new one.
    /// </summary>
    public SkvCompactionResult Compact()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        CheckWritable();
        // no background checkpoint writes <file>.idx meanwhile; a restore transaction holds the gate for its whole
        // life, so the wait is bounded like the write lock's
        if (!_checkpointGate.Wait(_options.WriteLockTimeout)) throw new SkvWriteLockTimeoutException(FilePath, _options.WriteLockTimeout);
        try
        {
        EnterWrite();
        try
        {
            var s = _state;
            var old = s.File;
            var seam = old.Seam;
            try
            {
                old.FlushBuffer();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                _pipeline.CheckFailedWrite(old, ex);
                throw;
            }
            long before = old.AppendEnd;
            var status = Native.Stat(old.Handle, _realPath);
            if (status.LinkCount > 1)
                throw new SkvException($"{FilePath} has {status.LinkCount} hard links: compaction replaces the file by a rename, which would leave " +
                    "the other names on the old data; remove the other links (a symlink is fine) or copy the store with backup and restore");
            string scratch = _realPath + CompactSuffix;
            if (File.Exists(scratch)) File.Delete(scratch);

            var handle = Native.CreatePrivate(scratch);
            DataFile? fresh = null;
            Checkpoint.Writer? checkpoint = null;
            Checkpoint? freshCheckpoint = null;
            bool renamed = false;
            try
            {
                // the new file takes the old one's permission bits and owner (an app running as another user keeps access)
                Native.CopyModeAndOwner(handle, scratch, status);
                Span<byte> header = stackalloc byte[RecordFormat.FileHeaderSize];
                RecordFormat.WriteFileHeader(header, CreatedAt);
                seam.Write(handle, scratch, header, 0);
                fresh = new DataFile(FilePath, handle, RecordFormat.FileHeaderSize, _options.WriteBufferSize, writable: true, seam);

                long liveBytes = 0;
                // the new file's index checkpoint is written in the same pass: the index never has to be held in memory
                checkpoint = _options.UseCheckpoint ? new Checkpoint.Writer(CheckpointPath, seam) : null;
                var dense = new List<(ReadOnlyMemory<byte>, IndexEntry)>();
                var pages = new ResidentPageBudget(s); // a pass over every record: the process's memory must not grow with the file
                foreach (var (key, entry) in s.Index.Range(null, null))
                {
                    pages.Count();
                    // values are re-read with their checksum checked, so compaction never launders damage
                    byte[] value = old.ReadValue(entry.Offset, key.Span, entry.ValueLength, mapped: false);
                    long offset = fresh.Append(RecordKind.Put, RecordFlags.None, key.Span, value);
                    liveBytes += RecordFormat.RecordSize(key.Length, value.Length);
                    var moved = new IndexEntry(offset, value.Length);
                    if (checkpoint is not null) checkpoint.Add(key.Span, moved);
                    else dense.Add((key.ToArray(), moved));
                }
                _pipeline.SyncAll(fresh);

                // the new file's index, complete before the new file takes the name (readers switch to both at once)
                var index = IndexLayers.Over(null) with { Active = KeyIndex.Build(dense), ActiveEntries = dense.Count };
                if (checkpoint is not null)
                {
                    try
                    {
                        // a crash between this rename and the data file's leaves a checkpoint that fails to match the
                        // old file: the next open replays the log instead
                        checkpoint.Complete(fresh.Handle, fresh.AppendEnd, s.Count, s.Count, liveBytes);
                        var handleForRebuild = fresh.Handle;
                        string path = _realPath;
                        var cp = Checkpoint.TryOpen(CheckpointPath, fresh.Handle, fresh.AppendEnd,
                            covered => LogScanner.IndexUpTo(path, handleForRebuild, covered), out string? why)
                            ?? throw new IOException($"the index checkpoint just written does not validate: {why}");
                        index = IndexLayers.Over(cp);
                        freshCheckpoint = cp;
                    }
                    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                    {
                        // derived data: the index comes from the new log instead (the next checkpoint follows)
                        LastCheckpointError = ex;
                        index = LogScanner.Scan(FilePath, fresh.Handle, fresh.AppendEnd).Index;
                    }
                }

                // the writer lock moves to the new file before its name does, so no second writer can slip in
                var previousLock = _lock!.MoveTo(scratch);
                try
                {
                    seam.Rename(scratch, _realPath);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _lock.MoveBack(previousLock);
                    _pipeline.Poison($"compaction could not rename {scratch} over the store ({ex.Message})", ex);
                    throw;
                }
                renamed = true;
                FileLock.Release(previousLock);
                // the name holds the new file now, synced or not: writes must go there
                Publish(new StoreState(index, s.Count, fresh, s.Count, liveBytes));
                _frozenAt = null;
                old.Release();
                try
                {
                    seam.SyncDirectoryOf(_realPath);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    // the waiters on the old file are not acknowledged: their records are only durable once the new
                    // file's name is
                    _pipeline.Poison($"compaction could not sync the directory after its rename ({ex.Message})", ex);
                    throw;
                }
                // writers still waiting for a sync of the old file: their records are in the new file, durable now
                _pipeline.MarkDurable(old, old.AppendEnd);
                return new SkvCompactionResult(s.Count, before, fresh.AppendEnd, started.Elapsed);
            }
            catch
            {
                if (!renamed)
                {
                    freshCheckpoint?.Release();
                    if (fresh is not null) fresh.Release(); else handle.Dispose();
                    if (File.Exists(scratch)) File.Delete(scratch);
                }
                throw;
            }
            finally
            {
                checkpoint?.Dispose();
            }
        }
        finally
        {
            ExitWrite();
        }
        }
        finally
        {
            _checkpointGate.Release();
        }
    }
}
