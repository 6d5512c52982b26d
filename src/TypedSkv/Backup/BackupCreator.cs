using System.Diagnostics;

namespace TypedSkv.Backup;

/// <summary>
/// Backup: a snapshot of the store streamed through <see cref="BackupWriter"/> (and the compression and encryption
/// layers, <see cref="BackupOutput"/>) into a temporary file next to the target, fsynced and renamed over the
/// target, so the final name only ever holds a complete backup. A target that is not a regular file (a FIFO,
/// /dev/stdout) and a caller's stream are written directly instead. A full backup and an incremental one
/// (<see cref="BackupOptions.IncrementalBase"/>) take the same way out.
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
        string compression = BackupOutput.CompressionFor(fullPath, options.Gzip, options.Zstd);

        // a symlink is followed (/dev/stdout -> /proc/self/fd/1 -> out.json): the file it names is replaced, never the link
        fullPath = BackupFiles.ResolveLinks(fullPath);
        var content = Content(storage, fullPath, options, compression);
        if (BackupFiles.IsSpecialFile(fullPath) || !BackupFiles.CanRenameOver(fullPath))
        {
            // a FIFO or a device: renaming a file over it would replace it, so it is written as it is
            using var special = new FileStream(fullPath, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1 << 16);
            var (records, checksum) = content(special);
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
                (records, checksum) = content(file);
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

    /// <summary>
    /// Writes the backup to a caller's stream (stdout, a socket): compressed only when <see cref="BackupOptions.Gzip"/>
    /// or <see cref="BackupOptions.Zstd"/> is true. The stream stays open.
    /// </summary>
    public static BackupResult Backup(ISkvStorage storage, Stream output, BackupOptions? options)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(output);
        options ??= new BackupOptions();
        var clock = Stopwatch.StartNew();
        string compression = BackupOutput.CompressionFor("", options.Gzip, options.Zstd);
        var content = Content(storage, null, options, compression);
        var counted = new CountingStream(output, leaveOpen: true);
        var (records, checksum) = content(counted);
        counted.Flush();
        return new BackupResult("", records, counted.BytesWritten, checksum, clock.Elapsed);
    }

    /// <summary>
    /// What goes into the output: the layers, and inside them the document (full, or incremental: its base chain is
    /// checked here, before the output is touched). Returns the records written and their checksum.
    /// </summary>
    private static Func<Stream, (long Records, string Checksum)> Content(ISkvStorage storage, string? fullPath, BackupOptions options, string compression)
    {
        Func<Stream, (long, string)> document = options.IncrementalBase is null
            ? json => WriteFull(storage, json, options)
            : Incremental.IncrementalCreator.Prepare(storage, fullPath, options);
        return output =>
        {
            using var layers = new BackupOutput(output, compression, options.Encryption);
            var written = document(layers.Json);
            layers.Complete(); // after the JSON writer let go of the stream
            return written;
        };
    }

    private static (long Records, string Checksum) WriteFull(ISkvStorage storage, Stream json, BackupOptions options)
    {
        byte[] prefix = options.GetPrefix();
        // the embedded store gives a point-in-time snapshot; Redis each collection at one version (docs/redis.md)
        using var snapshot = storage.OpenBackupSource();
        // total_records comes before the records: count first (keys only, no value I/O)
        long total = prefix.Length == 0 ? snapshot.Count : snapshot.ScanPrefix(prefix).LongCount();
        using var writer = new BackupWriter(json, total, options.CreatedAt ?? DateTimeOffset.UtcNow, options.Indented, options.Progress, prefix);
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
