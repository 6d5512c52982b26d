using TypedSkv.Storage;

namespace TypedSkv.Backup;

/// <summary>
/// The file type from stat, which .NET does not expose: a backup must know whether its target is a regular file
/// (written to a temporary name and renamed over it) or a FIFO, device or terminal (written as it is).
/// </summary>
internal static class FileStat
{
    private const int TypeMask = 0xF000; // S_IFMT
    private const int RegularFile = 0x8000; // S_IFREG
    private const int Directory = 0x4000; // S_IFDIR

    /// <summary>True when <paramref name="path"/> exists (symlinks followed) and is neither a regular file nor a directory (Linux; elsewhere false).</summary>
    public static bool IsSpecialFile(string path)
    {
        if (!Native.IsLinux || Native.TryStat(path) is not { } status) return false;
        int type = status.Mode & TypeMask;
        return type != RegularFile && type != Directory;
    }
}
