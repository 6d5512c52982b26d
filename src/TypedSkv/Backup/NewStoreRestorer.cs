using System.Security.Cryptography;
using TypedSkv.Backup;
using TypedSkv.Storage;

namespace TypedSkv
{
    public static partial class SkvBackup
    {
        /// <summary>
        /// Restores a backup into a store file that does not exist yet. The store is built under a temporary name
        /// next to <paramref name="storePath"/> and moved into place only when the restore committed, without
        /// replacing anything: if another process created <paramref name="storePath"/> meanwhile, that store is left
        /// alone and <see cref="SkvStoreExistsException"/> is thrown (nothing was written to it). A failed or
        /// cancelled restore leaves no file behind.
        /// </summary>
        public static RestoreResult RestoreToNewStore(string storePath, string backupPath, RestoreOptions? options = null) =>
            options?.DryRun == true
                ? BackupRestorer.Restore(null, backupPath, options) // compared with nothing: every key would be added
                : NewStoreRestorer.Restore(storePath, store => Restore(store, backupPath, options));
    }

    /// <summary>A store that was expected not to exist does (another process created it first).</summary>
    public sealed class SkvStoreExistsException : SkvException
    {
        public SkvStoreExistsException(string path)
            : base($"{path} already exists (another process created it); nothing was written to it") => FilePath = path;

        public string FilePath { get; }
    }
}

namespace TypedSkv.Backup
{
    /// <summary>
    /// Builds a new store under a temporary name and publishes it with a no-replace move, so a store that appears at
    /// the final path meanwhile is never overwritten or deleted, and a half-restored store is never visible there.
    /// </summary>
    internal static class NewStoreRestorer
    {
        public const string TempMarker = ".restore-";

        public static T Restore<T>(string storePath, Func<SkvStore, T> restore)
        {
            ArgumentException.ThrowIfNullOrEmpty(storePath);
            string fullPath = Path.GetFullPath(storePath);
            if (File.Exists(fullPath) || Directory.Exists(fullPath)) throw new SkvStoreExistsException(fullPath);
            string? dir = Path.GetDirectoryName(fullPath);
            if (dir is not null && !Directory.Exists(dir))
                throw new DirectoryNotFoundException($"cannot create store {fullPath}: directory {dir} does not exist");

            // the random name is known to this process only, so its lock file is ours to delete
            string temp = fullPath + TempMarker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
            try
            {
                T result;
                using (var store = SkvStore.Open(temp, new SkvOptions { CreateIfMissing = true }))
                    result = restore(store);
                File.Delete(temp + SkvStore.LockFileSuffix);
                Publish(temp, fullPath);
                PublishCheckpoint(temp, fullPath);
                return result;
            }
            catch
            {
                BackupFiles.TryDelete(temp);
                BackupFiles.TryDelete(temp + SkvStore.LockFileSuffix);
                BackupFiles.TryDelete(temp + Checkpoint.Suffix);
                throw;
            }
        }

        /// <summary>
        /// The new store's index checkpoint follows it to its name (it is bound to the data file's header and log, not
        /// to a path): without it the first open would replay the whole restore. After the data file's move, so it
        /// never lands beside a store that another process created meanwhile; a crash between the two moves costs
        /// one full replay, never data (derived data, rebuilt from the log).
        /// </summary>
        private static void PublishCheckpoint(string temp, string fullPath)
        {
            string from = temp + Checkpoint.Suffix;
            if (!File.Exists(from)) return;
            try
            {
                File.Move(from, fullPath + Checkpoint.Suffix, overwrite: true);
                DirectorySync.SyncParentOf(fullPath);
            }
            catch (IOException)
            {
                BackupFiles.TryDelete(from); // the store opens without it (a replay of its log)
            }
            catch (UnauthorizedAccessException)
            {
                BackupFiles.TryDelete(from);
            }
        }

        private static void Publish(string temp, string fullPath)
        {
            try
            {
                // overwrite: false is link + unlink on Unix: atomic, fails when the name exists
                File.Move(temp, fullPath, overwrite: false);
            }
            catch (IOException) when (File.Exists(fullPath) || Directory.Exists(fullPath))
            {
                throw new SkvStoreExistsException(fullPath);
            }
            DirectorySync.SyncParentOf(fullPath);
        }
    }
}
