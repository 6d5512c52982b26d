using System.Security.Cryptography;
using TypedSkv.Storage;

namespace TypedSkv.Backup;

/// <summary>File handling: temp file + fsync + rename for writing; the layers under the JSON for reading (<see cref="BackupInput"/>).</summary>
internal static class BackupFiles
{
    public const string TempMarker = ".tmp-";

    /// <summary>A fresh temporary name next to the final file: path + ".tmp-" + 16 random hex digits.</summary>
    public static string TempPathFor(string fullPath) =>
        fullPath + TempMarker + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    public static void EnsureDirectoryExists(string fullPath)
    {
        string? dir = Path.GetDirectoryName(fullPath);
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException($"cannot write backup {fullPath}: directory {dir} does not exist");
    }

    /// <summary>Creates the temporary file, with <paramref name="permissions"/> from the start (Unix) when given.</summary>
    public static FileStream CreateTemp(string tempPath, UnixFileMode? permissions = null)
    {
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 1 << 16,
            Options = FileOptions.SequentialScan,
        };
        if (permissions is { } p && !OperatingSystem.IsWindows()) options.UnixCreateMode = p;
        return new FileStream(tempPath, options);
    }

    /// <summary>
    /// <see cref="CreateTemp"/> for the backup <paramref name="fullPath"/>; a failure names the backup, not the
    /// temporary name (which the user never typed).
    /// </summary>
    public static FileStream CreateTempFor(string fullPath, string tempPath, UnixFileMode? permissions)
    {
        try
        {
            return CreateTemp(tempPath, permissions);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new UnauthorizedAccessException($"cannot write the backup {fullPath}: permission denied in {Path.GetDirectoryName(fullPath)}", ex);
        }
        catch (IOException ex)
        {
            throw new IOException($"cannot write the backup {fullPath}: its folder does not accept new files ({ex.GetType().Name.Replace("Exception", "", StringComparison.Ordinal)})", ex);
        }
    }

    /// <summary>The read and write bits of a file (Unix), for files that must be no more readable than it; null on Windows.</summary>
    public static UnixFileMode? PermissionsOf(string path)
    {
        if (OperatingSystem.IsWindows()) return null;
        const UnixFileMode ReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead
            | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
        return File.GetUnixFileMode(path) & ReadWrite;
    }

    /// <summary>The final target of a symlink chain, or the path itself when it is not a link or its target is no real path (pipe:[123]).</summary>
    public static string ResolveLinks(string fullPath)
    {
        var info = new FileInfo(fullPath);
        if (info.LinkTarget is null) return fullPath;
        try
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is { Exists: true } ? Path.GetFullPath(target.FullName) : fullPath;
        }
        catch (IOException)
        {
            return fullPath;
        }
    }

    /// <summary>A symlink whose target is not a real file (/proc/self/fd/1 of a pipe) cannot be renamed over without replacing the link.</summary>
    public static bool CanRenameOver(string fullPath) => new FileInfo(fullPath).LinkTarget is null;

    /// <summary>A FIFO, device or terminal (symlinks followed, e.g. /dev/stdout): written directly, never renamed over.</summary>
    public static bool IsSpecialFile(string path) => FileStat.IsSpecialFile(path);

    /// <summary>Makes the finished temp file durable and moves it over the final name.</summary>
    public static void Publish(string tempPath, string fullPath, bool overwrite = true)
    {
        // overwrite: false is link + unlink on Unix: atomic, fails when the name exists
        File.Move(tempPath, fullPath, overwrite);
        DirectorySync.SyncParentOf(fullPath);
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Opens a backup for reading; its layers (encryption, gzip, zstd) are found by their magic bytes (<see cref="BackupInput"/>).</summary>
    public static (CountingStream File, Stream Json) OpenRead(string path, bool? gzip, BackupEncryption? encryption = null)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        try
        {
            return OpenRead(file, gzip, leaveOpen: false, path, encryption);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a backup from any stream, seekable or not (a pipe, stdin): magic bytes are peeked and replayed.
    /// <c>File.SourceBytes</c> is the input's size (a seekable one's length, else the bytes read so far). An encrypted
    /// input's secret is checked here, before the caller writes anything.
    /// </summary>
    public static (CountingStream File, Stream Json) OpenRead(Stream input, bool? gzip, bool leaveOpen, string name = "-", BackupEncryption? encryption = null)
    {
        var counted = new CountingStream(input, leaveOpen);
        try
        {
            return (counted, BackupInput.Layers(counted, name, gzip, encryption));
        }
        catch
        {
            counted.Dispose();
            throw;
        }
    }
}
