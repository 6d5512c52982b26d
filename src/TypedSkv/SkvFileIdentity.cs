using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// A file's identity: its device and inode. Two paths name the same file when their identities are equal, however
/// they are spelled (symlinks, hard links, "..", bind mounts). Every "is this the same file" check in TypedSkv and
/// the tool compares identities, never path strings.
/// </summary>
public readonly record struct SkvFileIdentity(ulong Device, ulong Inode)
{
    /// <summary>The identity of the file <paramref name="path"/> names (symlinks followed); false when it does not exist.</summary>
    public static bool TryGet(string path, out SkvFileIdentity identity)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (Native.TryStat(path) is { } status)
        {
            identity = status.Identity;
            return true;
        }
        identity = default;
        return false;
    }

    /// <summary>Whether both paths exist and name one file.</summary>
    public static bool SameFile(string a, string b) =>
        TryGet(a, out var x) && TryGet(b, out var y) && x == y;

    public override string ToString() => $"{Device:x}:{Inode}";
}
