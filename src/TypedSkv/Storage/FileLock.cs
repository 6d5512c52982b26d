using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>
/// The writer's exclusive lock, tied to the data file's identity (its inode), not to the path that named it: an
/// open-file-description lock (F_OFD_SETLK) on the data file itself, so a symlink, a hard link or any other
/// spelling of the path meets the same lock. Released by the OS when the process dies. Compaction replaces the data
/// file by rename, so it locks the new file before the rename (<see cref="MoveTo"/>); an opener that took the lock
/// on a file that was renamed away meanwhile notices (the path no longer names the locked inode) and tries again.
/// Beside it, the side file <c>&lt;real path&gt;.lock</c> is still flocked (0.1.0 writers take that lock) and holds
/// the writer's process id, which <see cref="SkvLockedException"/> reports. The side file is never deleted, so
/// that two processes never race on its creation.
/// </summary>
internal sealed class FileLock : IDisposable
{
    private SafeFileHandle _locked;     // a descriptor of the current data file that holds the OFD lock
    private readonly FileStream _sideFile;

    private FileLock(SafeFileHandle locked, FileStream sideFile)
    {
        _locked = locked;
        _sideFile = sideFile;
    }

    /// <summary>Locks the data file <paramref name="realPath"/> (created when missing); <paramref name="path"/> is for messages.</summary>
    public static FileLock Acquire(string path, string realPath)
    {
        FileStream side = AcquireSideFile(path, realPath);
        try
        {
            for (int attempt = 0; ; attempt++)
            {
                var handle = File.OpenHandle(realPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
                bool keep = false;
                try
                {
                    if (!Native.TryLockExclusive(handle, realPath))
                        throw new SkvLockedException(path); // held through another name (a hard link): our side file names no one
                    // a compaction may have renamed a new file over the name after our open: then we hold the lock
                    // of a file that is no longer the store, and must lock the one the name holds now
                    if (Native.TryStat(realPath) is { } now && now.Identity == Native.Stat(handle, realPath).Identity)
                    {
                        keep = true;
                        WriteHolder(side);
                        return new FileLock(handle, side);
                    }
                    if (attempt > 100) throw new IOException($"{path} keeps being replaced while it is opened");
                }
                finally
                {
                    if (!keep) handle.Dispose();
                }
            }
        }
        catch
        {
            side.Dispose();
            throw;
        }
    }

    private static FileStream AcquireSideFile(string path, string realPath)
    {
        string lockPath = realPath + SkvStore.LockFileSuffix;
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex) when (File.Exists(lockPath) && ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw new SkvLockedException(path, ReadHolder(lockPath), ex);
        }
    }

    private static void WriteHolder(FileStream side)
    {
        try
        {
            side.SetLength(0);
            side.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            side.Flush();
        }
        catch (IOException)
        {
            // the process id is information only
        }
    }

    /// <summary>The process id written into a store's lock side file by its writer, if any.</summary>
    public static int? ReadHolder(string lockPath)
    {
        byte[]? head = Native.TryReadHead(lockPath, 32);
        if (head is null) return null;
        string text = System.Text.Encoding.ASCII.GetString(head).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) ? pid : null;
    }

    /// <summary>
    /// Compaction: locks the new data file (not yet renamed into place, so nobody else can hold it), before the
    /// rename; disposing the returned handle after the rename lets go of the old one.
    /// </summary>
    public SafeFileHandle MoveTo(string newFilePath)
    {
        var handle = File.OpenHandle(newFilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        if (!Native.TryLockExclusive(handle, newFilePath))
        {
            handle.Dispose();
            throw new IOException($"{newFilePath} is locked by someone else");
        }
        var previous = _locked;
        _locked = handle;
        return previous;
    }

    /// <summary>Undoes <see cref="MoveTo"/> (the rename failed).</summary>
    public void MoveBack(SafeFileHandle previous)
    {
        Release(_locked);
        _locked = previous;
    }

    /// <summary>Unlocks, then closes, a descriptor that held the lock (see <see cref="Native.Unlock"/> for why both).</summary>
    public static void Release(SafeFileHandle locked)
    {
        Native.Unlock(locked);
        locked.Dispose();
    }

    public void Dispose()
    {
        Release(_locked);
        Native.UnlockFlock(_sideFile.SafeFileHandle);
        _sideFile.Dispose();
    }
}
