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
            old.FlushBuffer();
            long before = old.AppendEnd;
            string scratch = FilePath + CompactSuffix;
            if (File.Exists(scratch)) File.Delete(scratch);

            var handle = File.OpenHandle(scratch, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            DataFile? fresh = null;
            try
            {
                Span<byte> header = stackalloc byte[RecordFormat.FileHeaderSize];
                RecordFormat.WriteFileHeader(header, CreatedAt);
                RandomAccess.Write(handle, header, 0);
                fresh = new DataFile(FilePath, handle, RecordFormat.FileHeaderSize, _options.WriteBufferSize, writable: true);

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
                fresh.SyncToDisk();
                File.Move(scratch, FilePath, overwrite: true);
                DirectorySync.SyncParentOf(FilePath);

                _state = new StoreState(root, s.Count, fresh, s.Count, liveBytes);
                // writers still waiting for a sync of the old file: their records are in the new, synced one
                old.MarkDurable(old.AppendEnd);
                old.Release();
                return new SkvCompactionResult(s.Count, before, fresh.AppendEnd, started.Elapsed);
            }
            catch
            {
                if (fresh is not null) fresh.Release(); else handle.Dispose();
                if (File.Exists(scratch)) File.Delete(scratch);
                throw;
            }
        }
        finally
        {
            ExitWrite();
        }
    }
}
