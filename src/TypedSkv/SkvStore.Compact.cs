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

            var handle = File.OpenHandle(scratch, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            DataFile? fresh = null;
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
                IEnumerable<(ReadOnlyMemory<byte>, IndexEntry)> Rewrite()
                {
                    foreach (var (key, entry) in KeyIndex.Range(s.Root, null, null))
                    {
                        // values are re-read with their checksum checked, so compaction never launders damage
                        byte[] value = old.ReadValue(entry.Offset, key.Span, entry.ValueLength);
                        long offset = fresh.Append(RecordKind.Put, RecordFlags.None, key.Span, value);
                        liveBytes += RecordFormat.RecordSize(key.Length, value.Length);
                        yield return (key, new IndexEntry(offset, value.Length));
                    }
                }
                // the new index is built dense while the records are copied, in key order
                KeyIndex.Node root = KeyIndex.Build(Rewrite());
                _pipeline.SyncAll(fresh);

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
                previousLock.Dispose();
                // the name holds the new file now, synced or not: writes must go there
                _state = new StoreState(root, s.Count, fresh, s.Count, liveBytes);
                // writers still waiting for a sync of the old file: their records are in the new, synced one
                _pipeline.MarkDurable(old, old.AppendEnd);
                old.Release();
                try
                {
                    seam.SyncDirectoryOf(_realPath);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    _pipeline.Poison($"compaction could not sync the directory after its rename ({ex.Message})", ex);
                    throw;
                }
                return new SkvCompactionResult(s.Count, before, fresh.AppendEnd, started.Elapsed);
            }
            catch
            {
                if (!renamed)
                {
                    if (fresh is not null) fresh.Release(); else handle.Dispose();
                    if (File.Exists(scratch)) File.Delete(scratch);
                }
                throw;
            }
        }
        finally
        {
            ExitWrite();
        }
    }
}
