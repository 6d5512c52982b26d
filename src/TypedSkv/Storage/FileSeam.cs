using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>The file operations the engine performs, each a point where a test can inject a failure.</summary>
internal enum FileOperation { Write, Read, SyncData, SetLength, Map, Rename, SyncDirectory }

/// <summary>
/// The one seam between the engine and the file system: every append, positional read, data sync, length change,
/// memory map, rename and directory sync of a store goes through it. Tests set <see cref="Fault"/> to fail any of
/// them (the real system calls are made, and checked, otherwise), and <see cref="StrictWindowsRules"/> to refuse
/// what Windows refuses: changing the length of, or renaming over, a file that has a live memory map.
/// </summary>
internal sealed class FileSeam
{
    /// <summary>The seam with no faults: what stores use unless a test gives them another.</summary>
    public static FileSeam Default { get; } = new();

    /// <summary>Called before each operation with (operation, path, offset, length); throw to make it fail.</summary>
    public Action<FileOperation, string, long, long>? Fault { get; set; }

    /// <summary>Refuse length changes of mapped files and renames over mapped files, as Windows does.</summary>
    public bool StrictWindowsRules { get; set; }

    private readonly Dictionary<SkvFileIdentity, int> _liveMaps = [];

    private void Check(FileOperation op, string path, long offset, long length) => Fault?.Invoke(op, path, offset, length);

    public void Write(SafeFileHandle handle, string path, ReadOnlySpan<byte> data, long offset)
    {
        Check(FileOperation.Write, path, offset, data.Length);
        RandomAccess.Write(handle, data, offset);
    }

    public int Read(SafeFileHandle handle, string path, Span<byte> dest, long offset)
    {
        Check(FileOperation.Read, path, offset, dest.Length);
        return RandomAccess.Read(handle, dest, offset);
    }

    public void SyncData(SafeFileHandle handle, string path)
    {
        Check(FileOperation.SyncData, path, 0, 0);
        Native.SyncData(handle, path);
    }

    public void SetLength(SafeFileHandle handle, string path, long length)
    {
        Check(FileOperation.SetLength, path, length, 0);
        if (StrictWindowsRules && IsMapped(Native.Stat(handle, path).Identity))
            throw new IOException($"strict mode: {path} has a live memory map; Windows refuses to change its length");
        RandomAccess.SetLength(handle, length);
    }

    public MappedRegion? Map(SafeFileHandle handle, string path, long length)
    {
        Check(FileOperation.Map, path, 0, length);
        var map = MappedRegion.TryCreate(handle, length);
        if (map is not null && StrictWindowsRules)
        {
            var id = Native.Stat(handle, path).Identity;
            lock (_liveMaps) _liveMaps[id] = _liveMaps.GetValueOrDefault(id) + 1;
            map.Unmapped = () =>
            {
                lock (_liveMaps) if (--_liveMaps[id] == 0) _liveMaps.Remove(id);
            };
        }
        return map;
    }

    /// <summary>Atomically replaces <paramref name="to"/> with <paramref name="from"/> (rename(2)).</summary>
    public void Rename(string from, string to)
    {
        Check(FileOperation.Rename, to, 0, 0);
        if (StrictWindowsRules && SkvFileIdentity.TryGet(to, out var id) && IsMapped(id))
            throw new IOException($"strict mode: {to} has a live memory map; Windows refuses to rename over it");
        File.Move(from, to, overwrite: true);
    }

    /// <summary>fsync of the directory holding <paramref name="path"/>, checked.</summary>
    public void SyncDirectoryOf(string path)
    {
        string dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        Check(FileOperation.SyncDirectory, dir, 0, 0);
        Native.SyncDirectory(dir);
    }

    private bool IsMapped(SkvFileIdentity id)
    {
        lock (_liveMaps) return _liveMaps.ContainsKey(id);
    }
}
