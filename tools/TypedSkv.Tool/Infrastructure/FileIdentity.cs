using System.Runtime.InteropServices;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// A file's identity: device and inode, what makes two paths the same file through symlinks, bind mounts and
/// hard links (a path string comparison sees none of them). Interim copy with the shape of the engine's coming
/// <c>TypedSkv.SkvFileIdentity</c>; switch to that one when it lands.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The identity of the file <paramref name="path"/> names (symlinks followed); false when it does not exist.</summary>
    public static bool TryGet(string path, out FileIdentity id)
    {
        id = default;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            // struct stat is at most 144 bytes on the 64-bit Unix ABIs; on Linux (x86-64 and the generic layout of
            // arm64) st_dev is 8 bytes at offset 0, on macOS 4 bytes; st_ino is 8 bytes at offset 8 on all of them
            byte[] buffer = new byte[256];
            if (Stat(path, buffer) != 0) return false;
            ulong device = OperatingSystem.IsLinux() ? MemoryMarshal.Read<ulong>(buffer) : MemoryMarshal.Read<uint>(buffer);
            id = new FileIdentity(device, MemoryMarshal.Read<ulong>(buffer.AsSpan(8)));
            return true;
        }
        // elsewhere: the fully resolved path stands in for the identity
        if (!File.Exists(path) && !Directory.Exists(path)) return false;
        string resolved = Path.GetFullPath(new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path);
        id = new FileIdentity(0, (ulong)StringComparer.OrdinalIgnoreCase.GetHashCode(resolved));
        return true;
    }

    /// <summary>Whether both paths exist and name the same file.</summary>
    public static bool SameFile(string a, string b) =>
        TryGet(a, out var x) && TryGet(b, out var y) && x == y;

    private static int Stat(string path, byte[] buffer)
    {
        try
        {
            return StatNative(path, buffer);
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports stat only as __xstat(version, ...); version 1 is x86-64's, 0 the others'
            return XStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer);
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatNative(string path, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "__xstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int XStat(int version, string path, [Out] byte[] buffer);
}
