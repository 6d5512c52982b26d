using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>
/// The POSIX calls the engine needs checked results from. .NET 10's <c>RandomAccess.FlushToDisk</c> and
/// <c>FileStream.Flush(true)</c> return normally when fsync fails (seen with <c>strace -e inject=fsync:error=EIO</c>),
/// and .NET has no file-identity, fchmod/fchown or OFD-lock API, so these go to libc directly and every -1 becomes
/// an <see cref="IOException"/> carrying errno. Data files are synced with <c>fdatasync</c>, directories with
/// <c>fsync</c>: the two are separate system calls, so a test can inject a failure into either alone.
/// Non-Linux systems get the managed equivalents (Windows is not a tested platform).
/// </summary>
internal static unsafe partial class Native
{
    public static bool IsLinux => OperatingSystem.IsLinux();

    private const int AT_FDCWD = -100;
    private const int AT_EMPTY_PATH = 0x1000;
    private const uint STATX_BASIC_STATS = 0x7ff;
    private const int F_OFD_GETLK = 36;
    private const int F_OFD_SETLK = 37;
    private const short F_WRLCK = 1;
    private const short F_UNLCK = 2;
    private const int EAGAIN = 11, EACCES = 13, EINTR = 4, EPERM = 1;

    /// <summary>fdatasync(2), checked: throws <see cref="IOException"/> when the kernel reports a failure.</summary>
    public static void SyncData(SafeFileHandle handle, string path)
    {
        if (!IsLinux)
        {
            RandomAccess.FlushToDisk(handle);
            return;
        }
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int rc;
            do rc = FDataSync((int)handle.DangerousGetHandle());
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
            if (rc < 0) throw Error("fdatasync", path);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>fsync(2) of a directory, checked, so that a created or renamed entry survives a power loss.</summary>
    public static void SyncDirectory(string directory)
    {
        if (!IsLinux && !OperatingSystem.IsMacOS()) return; // Windows: a rename is durable by itself
        int fd = Open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw Error("open directory", directory);
        try
        {
            int rc;
            do rc = FSync(fd);
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
            if (rc < 0) throw Error("fsync directory", directory);
        }
        finally
        {
            Close(fd);
        }
    }

    /// <summary>Device, inode, link count, mode and owner of an open file (statx with AT_EMPTY_PATH).</summary>
    public static FileStatus Stat(SafeFileHandle handle, string path)
    {
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            return StatCore((int)handle.DangerousGetHandle(), "", AT_EMPTY_PATH, path)
                ?? throw Error("statx", path);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>The same for a path (following symlinks); null when it does not exist or cannot be read.</summary>
    public static FileStatus? TryStat(string path) => StatCore(AT_FDCWD, path, 0, path);

    private static FileStatus? StatCore(int dirFd, string name, int flags, string path)
    {
        if (!IsLinux)
        {
            // no inode numbers from .NET here: the full path stands in for the identity
            var info = new FileInfo(path);
            if (!info.Exists) return null;
            string full = info.ResolveLinkTarget(true)?.FullName ?? info.FullName;
            return new FileStatus(0, (ulong)StringComparer.Ordinal.GetHashCode(full), 1, 0, 0, 0);
        }
        byte* buf = stackalloc byte[256];
        if (StatX(dirFd, name, flags, STATX_BASIC_STATS, buf) < 0) return null;
        uint nlink = *(uint*)(buf + 16);
        uint uid = *(uint*)(buf + 20);
        uint gid = *(uint*)(buf + 24);
        ushort mode = *(ushort*)(buf + 28);
        ulong ino = *(ulong*)(buf + 32);
        ulong dev = ((ulong)*(uint*)(buf + 136) << 32) | *(uint*)(buf + 140);
        return new FileStatus(dev, ino, nlink, mode, uid, gid);
    }

    /// <summary>
    /// Creates a new file readable and writable by its owner only (0600, whatever the umask), so that nobody can open it
    /// before <see cref="CopyModeAndOwner"/> gives it the permissions of the file it replaces: permissions are checked at
    /// open, and a descriptor opened in that window would keep reading.
    /// </summary>
    public static SafeFileHandle CreatePrivate(string path)
    {
        if (OperatingSystem.IsWindows())
            return File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        using (new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite | FileShare.Delete,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        {
        }
        return File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
    }

    /// <summary>
    /// Gives <paramref name="handle"/>'s file the permission bits and owner of <paramref name="like"/>. A process that may
    /// not change the owner (not root, not the owner: a shared group-writable store) keeps itself as owner, as a copy would.
    /// </summary>
    public static void CopyModeAndOwner(SafeFileHandle handle, string path, FileStatus like)
    {
        if (!IsLinux) return;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            int fd = (int)handle.DangerousGetHandle();
            var now = StatCore(fd, "", AT_EMPTY_PATH, path) ?? throw Error("statx", path);
            if ((now.Uid, now.Gid) != (like.Uid, like.Gid) && FChown(fd, like.Uid, like.Gid) < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno != EPERM) throw Error($"fchown to the store's owner {like.Uid}:{like.Gid}", path, errno);
                FChown(fd, uint.MaxValue, like.Gid); // keep at least the group where we are a member of it
            }
            if (FChmod(fd, (uint)(like.Mode & 0xFFF)) < 0)
                throw Error("fchmod", path);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Takes an exclusive open-file-description lock (F_OFD_SETLK) on byte 0 of the file: held by this descriptor,
    /// released when it is closed or the process dies, and, unlike POSIX record locks, not dropped when another
    /// descriptor of the same file is closed. Independent of the flock .NET itself takes on every open file.
    /// Returns false when another descriptor holds it.
    /// </summary>
    public static bool TryLockExclusive(SafeFileHandle handle, string path)
    {
        if (!IsLinux) return true; // elsewhere the FileShare.None side-file lock alone guards the store
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var lk = new FLock { l_type = F_WRLCK, l_whence = 0, l_start = 0, l_len = 1 };
            int rc;
            do rc = FcntlLock((int)handle.DangerousGetHandle(), F_OFD_SETLK, &lk);
            while (rc < 0 && Marshal.GetLastPInvokeError() == EINTR);
            if (rc == 0) return true;
            int errno = Marshal.GetLastPInvokeError();
            if (errno is EAGAIN or EACCES) return false;
            throw Error("fcntl(F_OFD_SETLK)", path, errno);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// Releases the lock <see cref="TryLockExclusive"/> took, before the descriptor is closed: a child process forked
    /// meanwhile (Process.Start) shares the open file description until it execs, and would keep the lock alive after
    /// our close; an explicit unlock releases it at once.
    /// </summary>
    public static void Unlock(SafeFileHandle handle)
    {
        if (!IsLinux || handle.IsClosed) return;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var lk = new FLock { l_type = F_UNLCK, l_whence = 0, l_start = 0, l_len = 1 };
            FcntlLock((int)handle.DangerousGetHandle(), F_OFD_SETLK, &lk);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>flock(LOCK_UN) before a close, for the same reason as <see cref="Unlock"/> (.NET's FileShare.None lock is a flock).</summary>
    public static void UnlockFlock(SafeFileHandle handle)
    {
        if (!IsLinux || handle.IsClosed) return;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            Flock((int)handle.DangerousGetHandle(), 8 /* LOCK_UN */);
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>Whether some descriptor (in any process) holds the writer lock on this file.</summary>
    public static bool IsLockedByOther(SafeFileHandle handle)
    {
        if (!IsLinux) return false;
        bool added = false;
        handle.DangerousAddRef(ref added);
        try
        {
            var lk = new FLock { l_type = F_WRLCK, l_whence = 0, l_start = 0, l_len = 1 };
            if (FcntlLock((int)handle.DangerousGetHandle(), F_OFD_GETLK, &lk) < 0) return false;
            return lk.l_type != F_UNLCK;
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
    }

    /// <summary>
    /// The first bytes of a file, read with open(2)/read(2): .NET would take a shared flock to open it, which a
    /// file held with FileShare.None (the writer's lock side file) refuses.
    /// </summary>
    public static byte[]? TryReadHead(string path, int max)
    {
        if (!IsLinux)
        {
            try { return File.ReadAllBytes(path); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
        }
        int fd = Open(path, 0);
        if (fd < 0) return null;
        try
        {
            var buffer = new byte[max];
            fixed (byte* p = buffer)
            {
                nint n = Read(fd, p, (nuint)max);
                return n < 0 ? null : buffer.AsSpan(0, (int)n).ToArray();
            }
        }
        finally
        {
            Close(fd);
        }
    }

    private static IOException Error(string call, string path, int errno = -1)
    {
        if (errno < 0) errno = Marshal.GetLastPInvokeError();
        string text = Marshal.GetPInvokeErrorMessage(errno);
        return new IOException($"{call} failed for {path}: {text} (errno {errno})", errno);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct FLock
    {
        public short l_type;
        public short l_whence;
        public long l_start;
        public long l_len;
        public int l_pid;
    }

    /// <summary>
    /// Drops this process's page-table entries for a shared read-only file mapping (madvise MADV_DONTNEED). The pages
    /// stay in the page cache and the next access maps them again (a minor fault), so nothing is read from disk; what
    /// it bounds is the process's resident set, which otherwise grows by every page a long scan touched. Best effort:
    /// a failure (or another OS) only leaves the pages mapped.
    /// </summary>
    public static void ReleaseMappedPages(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0) return;
        long page = Environment.SystemPageSize;
        long misalign = (long)start & (page - 1);
        _ = Madvise(start - misalign, (nuint)(length + misalign), MadvDontNeed);
    }

    private const int MadvDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(byte* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static partial int FDataSync(int fd);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static partial int Flock(int fd, int operation);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint Read(int fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatX(int dirfd, string path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "fchmod", SetLastError = true)]
    private static partial int FChmod(int fd, uint mode);

    [LibraryImport("libc", EntryPoint = "fchown", SetLastError = true)]
    private static partial int FChown(int fd, uint uid, uint gid);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int FcntlLock(int fd, int cmd, FLock* lk);
}

/// <summary>What <see cref="Native.Stat"/> reads of a file.</summary>
internal readonly record struct FileStatus(ulong Device, ulong Inode, uint LinkCount, ushort Mode, uint Uid, uint Gid)
{
    public SkvFileIdentity Identity => new(Device, Inode);
}
