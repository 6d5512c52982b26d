using TypedSkv.Backup;

namespace TypedSkv;

/// <summary>
/// Portable JSON backups of a store (format: docs/backup-format.md): <see cref="Backup(SkvStore, string, BackupOptions?)"/> streams a point-in-time
/// snapshot to a file, <see cref="Restore(SkvStore, string, RestoreOptions?)"/> loads one all-or-nothing, <see cref="Verify(string, VerifyOptions?)"/>
/// checks one, alone or against a live store. All run in constant memory, except verify of a file out of key order (or from a stream, or against a server backend), which keeps a 64-bit key hash per record.
/// </summary>
public static partial class SkvBackup
{
    /// <summary>
    /// Writes every record committed before the call (optionally only a key prefix) to <paramref name="path"/>:
    /// to a temporary file first, fsynced and renamed, so <paramref name="path"/> never holds a partial backup.
    /// Gzip when <see cref="BackupOptions.Gzip"/> says so or the path ends with ".gz". Writers may keep going
    /// meanwhile; a read-only opened store works too.
    /// </summary>
    public static BackupResult Backup(SkvStore store, string path, BackupOptions? options = null) =>
        BackupCreator.Backup(store, path, options);

    /// <summary>
    /// Loads a backup (this format, or the legacy Go array) into <paramref name="store"/> in one transaction:
    /// nothing is visible until the whole file parsed and passed its checks (record count, checksum), and a bad
    /// file leaves the store unchanged. Throws <see cref="SkvBackupException"/> for a malformed file. Holds the
    /// store's write lock while it runs (readers are not blocked).
    /// </summary>
    public static RestoreResult Restore(SkvStore store, string path, RestoreOptions? options = null) =>
        BackupRestorer.Restore(store, path, options);

    /// <summary>Checks a backup file: structure, version, counts, encodings, duplicate keys, checksum. Throws only for I/O errors.</summary>
    public static VerifyReport Verify(string path, VerifyOptions? options = null) =>
        BackupVerifier.Verify(path, null, options);

    /// <summary>Like <see cref="Verify(string, VerifyOptions?)"/>, and compares the backup with a snapshot of <paramref name="store"/>.</summary>
    public static VerifyReport Verify(string path, SkvStore store, VerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        return BackupVerifier.Verify(path, store, options);
    }

    /// <summary>
    /// <see cref="Backup(SkvStore, string, BackupOptions?)"/> from any storage (e.g. TypedSkv.Redis): a backend
    /// without snapshots is read live, and the backup fails if the key count changed while it ran.
    /// </summary>
    public static BackupResult Backup(ISkvStorage storage, string path, BackupOptions? options = null) =>
        BackupCreator.Backup(storage, path, options);

    /// <summary>
    /// <see cref="Restore(SkvStore, string, RestoreOptions?)"/> into any storage. The whole file is checked before
    /// anything is written; a backend without transactions (Redis) then takes the records pipelined, not atomically:
    /// if it fails midway, running the same restore again completes it.
    /// </summary>
    public static RestoreResult Restore(ISkvStorage storage, string path, RestoreOptions? options = null) =>
        BackupRestorer.Restore(storage, path, options);

    /// <summary>Like <see cref="Verify(string, SkvStore, VerifyOptions?)"/>, comparing with any storage (read live on a server backend).</summary>
    public static VerifyReport Verify(string path, ISkvStorage storage, VerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return BackupVerifier.Verify(path, storage, options);
    }

    /// <summary>"backups/app.json" -> "backups/app_20261125T120000Z.json" (UTC; also "app.json.gz" -> "app_...Z.json.gz").</summary>
    public static string TimestampedPath(string path, DateTimeOffset? now = null) => BackupNaming.TimestampedPath(path, now);

    /// <summary>
    /// Deletes the timestamped siblings of <paramref name="path"/> (as made by <see cref="TimestampedPath"/>, in any
    /// format: app.json and app.json.gz are one set) beyond the newest <paramref name="keep"/>; returns the deleted
    /// paths. Backups stamped in the future are neither counted nor deleted; other files are never touched. After
    /// writing a backup, prefer <see cref="PruneBackups(string, int, string)"/>, which never deletes that one.
    /// </summary>
    public static IReadOnlyList<string> PruneBackups(string path, int keep) => BackupNaming.PruneBackups(path, keep);
}
