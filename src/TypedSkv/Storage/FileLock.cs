namespace TypedSkv.Storage;

/// <summary>
/// The writer's exclusive OS lock. It lives on a side file (data path + ".lock") rather than the data file,
/// because compaction replaces the data file by rename and a lock on the old inode would not carry over.
/// .NET maps FileShare.None to flock(LOCK_EX) on Unix and to a share-mode lock on Windows; both are
/// released by the OS when the process dies, so a crash never leaves a stale lock.
/// </summary>
internal static class FileLock
{
    public static FileStream Acquire(string dataPath)
    {
        string lockPath = dataPath + SkvStore.LockFileSuffix;
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex) when (File.Exists(lockPath) && ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new SkvLockedException(dataPath, ex);
        }
    }
}
