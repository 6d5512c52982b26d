using System.IO.Compression;
using System.Security.Cryptography;
using TypedSkv.Storage;

namespace TypedSkv.Backup;

/// <summary>File handling: temp file + fsync + rename for writing, gzip detection for reading.</summary>
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

    public static FileStream CreateTemp(string tempPath) =>
        new(tempPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16, FileOptions.SequentialScan);

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

    /// <summary>Opens a backup for reading; gzip when asked, or (null) when the file starts with the gzip magic.</summary>
    public static (FileStream File, Stream Json) OpenRead(string path, bool? gzip)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.SequentialScan);
        try
        {
            bool isGzip = gzip ?? StartsWithGzipMagic(file);
            Stream json = isGzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return (file, json);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    private static bool StartsWithGzipMagic(FileStream file)
    {
        Span<byte> head = stackalloc byte[2];
        int n = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return n == 2 && head[0] == BackupFormat.GzipMagic0 && head[1] == BackupFormat.GzipMagic1;
    }
}
