namespace TypedSkv.Storage;

/// <summary>
/// fsync of a directory, so that a created or renamed file's directory entry survives a power loss. Checked: a
/// failure (or a directory that cannot be opened) throws <see cref="IOException"/>. Windows: nothing to do.
/// </summary>
internal static class DirectorySync
{
    public static void SyncParentOf(string path) => FileSeam.Default.SyncDirectoryOf(path);
}
