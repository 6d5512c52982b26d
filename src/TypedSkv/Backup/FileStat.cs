using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace TypedSkv.Backup;

/// <summary>
/// The file type from stat(2), which .NET does not expose: a backup must know whether its target is a regular file
/// (written to a temporary name and renamed over it) or a FIFO, device or terminal (written as it is).
/// </summary>
internal static partial class FileStat
{
    private const uint TypeMask = 0xF000; // S_IFMT
    private const uint RegularFile = 0x8000; // S_IFREG

    /// <summary>True when <paramref name="path"/> exists (symlinks followed) and is neither a regular file nor a directory.</summary>
    public static bool IsSpecialFile(string path)
    {
        if (!TryGetMode(path, out uint mode)) return false;
        uint type = mode & TypeMask;
        return type != RegularFile && type != 0x4000; // S_IFDIR
    }

    private static bool TryGetMode(string path, out uint mode)
    {
        mode = 0;
        // st_mode's offset: Linux x86-64 24 (after st_nlink), Linux arm64 16 (generic layout), macOS 4 (16 bits)
        int offset;
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64) offset = 24;
        else if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.Arm64) offset = 16;
        else if (OperatingSystem.IsMacOS()) offset = 4;
        else return false;
        byte[] buffer = new byte[256];
        int rc;
        try
        {
            rc = Stat(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports stat only as __xstat(version, ...); version 1 is x86-64's, 0 arm64's
            rc = XStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
        }
        if (rc != 0) return false;
        mode = OperatingSystem.IsMacOS() ? BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(offset));
        return true;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int XStat(int version, string path, [Out] byte[] buffer);
}
