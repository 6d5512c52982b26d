using System.Diagnostics;
using System.IO.Compression;

namespace TypedSkv.Backup;

/// <summary>
/// Backup: a snapshot of the store streamed through <see cref="BackupWriter"/> into a temporary file next to the
/// target, fsynced and renamed over the target, so the final name only ever holds a complete backup.
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
        if (storeFile.Length > 0 && (string.Equals(fullPath, storeFile, StringComparison.Ordinal) || string.Equals(fullPath, storeFile + SkvStore.LockFileSuffix, StringComparison.Ordinal)))
            throw new ArgumentException($"the backup path {fullPath} is the store's own file", nameof(path));
        bool gzip = options.Gzip ?? BackupFormat.IsGzipPath(fullPath);
        byte[] prefix = options.GetPrefix();

        // the embedded store gives a point-in-time snapshot; a server backend a live view (SCAN-based)
        using var snapshot = storage.OpenReadView();
        // total_records comes before the records: count first (keys only, no value I/O)
        long total = prefix.Length == 0 ? snapshot.Count : snapshot.ScanPrefix(prefix).LongCount();

        string temp = BackupFiles.TempPathFor(fullPath);
        try
        {
            string checksum;
            long records, bytes;
            using (var file = BackupFiles.CreateTemp(temp))
            {
                using (var gz = gzip ? new GZipStream(file, CompressionLevel.Fastest, leaveOpen: true) : null)
                using (var writer = new BackupWriter((Stream?)gz ?? file, total, DateTimeOffset.UtcNow, options.Indented, options.Progress))
                {
                    foreach (var entry in snapshot.ScanPrefix(prefix))
                        writer.Write(entry.Key.Span, entry.GetValue());
                    records = writer.Records;
                    if (records != total)
                        throw new InvalidOperationException(snapshot.IsPointInTime
                            ? $"snapshot changed during the backup: counted {total} records, wrote {records}"
                            : $"the keyspace changed during the backup: counted {total} records, then read {records}; back up while writers are paused, or run it again");
                    checksum = writer.Complete();
                }
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
}
