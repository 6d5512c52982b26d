using System.Runtime.InteropServices;

namespace TypedSkv.Storage;

/// <summary>
/// fsync of a directory, so that a created or renamed file's directory entry survives a power loss.
/// .NET has no API for it; on Windows the rename itself is durable enough and this does nothing.
/// </summary>
internal static partial class DirectorySync
{
    private const int O_RDONLY = 0;

    public static void SyncParentOf(string path)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        int fd = Open(dir, O_RDONLY);
        if (fd < 0) return;
        try
        {
            Fsync(fd);
        }
        finally
        {
            Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync")]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
