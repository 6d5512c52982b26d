using System.Diagnostics;
using System.IO.Compression;

namespace TypedSkv.Backup;

/// <summary>
/// Backup: a snapshot of the store streamed through <see cref="BackupWriter"/> into a temporary file next to the
/// target, fsynced and renamed over the target, so the final name only ever holds a complete backup. A target that
/// is not a regular file (a FIFO, /dev/stdout) and a caller's stream are written directly instead.
/// </summary>
internal static class BackupCreator
{
    public static BackupResult Backup(ISkvStorage storage, string path, BackupOptions? options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new BackupOptions();
        var clock = Stopwatch.StartNew();
        string fullPath = Path.GetFullPath(path);
        BackupFiles.EnsureDirectoryExists(fullPath);
        string storeFile = storage is SkvStore store ? Path.GetFullPath(store.FilePath) : "";
        // by identity: a symlinked folder, a bind mount or a hard link must not let the rename replace the store
        if (storeFile.Length > 0 && (SkvFileIdentity.SameFile(fullPath, storeFile) || SkvFileIdentity.SameFile(fullPath, storeFile + SkvStore.LockFileSuffix)))
            throw new ArgumentException($"the backup path {fullPath} is the store's own file", nameof(path));
        bool gzip = options.Gzip ?? BackupFormat.IsGzipPath(fullPath);

        // a symlink is followed (/dev/stdout -> /proc/self/fd/1 -> out.json): the file it names is replaced, never the link
        fullPath = BackupFiles.ResolveLinks(fullPath);
        if (BackupFiles.IsSpecialFile(fullPath) || !BackupFiles.CanRenameOver(fullPath))
        {
            // a FIFO or a device: renaming a file over it would replace it, so it is written as it is
            using var special = new FileStream(fullPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            var (records, checksum) = Write(storage, special, options, gzip);
            return new BackupResult(fullPath, records, -1, checksum, clock.Elapsed);
        }

        string temp = BackupFiles.TempPathFor(fullPath);
        try
        {
            string checksum;
            long records, bytes;
            // the backup holds the store's data: it gets the store file's permission bits (a 600 store, a 600 backup)
            using (var file = BackupFiles.CreateTempFor(fullPath, temp, storeFile.Length > 0 ? BackupFiles.PermissionsOf(storeFile) : null))
            {
                (records, checksum) = Write(storage, file, options, gzip);
                file.Flush();
                TypedSkv.Storage.Native.SyncData(file.SafeFileHandle, temp); // checked: Flush(true) ignores a failed fsync
                bytes = file.Length;
            }
            BackupFiles.Publish(temp, fullPath, options.Overwrite);
            return new BackupResult(fullPath, records, bytes, checksum, clock.Elapsed);
        }
        catch
        {
            BackupFiles.TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes the backup to a caller's stream (stdout, a socket): gzip only when <see cref="BackupOptions.Gzip"/> is true. The stream stays open.</summary>
    public static BackupResult Backup(ISkvStorage storage, Stream output, BackupOptions? options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new BackupOptions();
        var clock = Stopwatch.StartNew();
        var counted = new CountingStream(output, leaveOpen: true);
        var (records, checksum) = Write(storage, counted, options, options.Gzip == true);
        counted.Flush();
        return new BackupResult("", records, counted.BytesWritten, checksum, clock.Elapsed);
    }

    private static (long Records, string Checksum) Write(ISkvStorage storage, Stream output, BackupOptions options, bool gzip)
    {
        byte[] prefix = options.GetPrefix();
        // the embedded store gives a point-in-time snapshot; a server backend a live view (SCAN-based)
        using var snapshot = storage.OpenReadView();
        // total_records comes before the records: count first (keys only, no value I/O)
        long total = prefix.Length == 0 ? snapshot.Count : snapshot.ScanPrefix(prefix).LongCount();
        using var gz = gzip ? new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true) : null;
        using var writer = new BackupWriter((Stream?)gz ?? output, total, DateTimeOffset.UtcNow, options.Indented, options.Progress, prefix);
        foreach (var entry in snapshot.ScanPrefix(prefix))
            writer.Write(entry.Key.Span, entry.GetValue());
        long records = writer.Records;
        if (records != total)
            throw new InvalidOperationException(snapshot.IsPointInTime
                ? $"snapshot changed during the backup: counted {total} records, wrote {records}"
                : $"the keyspace changed during the backup: counted {total} records, then read {records}; back up while writers are paused, or run it again");
        return (records, writer.Complete());
    }
}
