using TypedSkv.Redis;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>Opens stores with the checks and messages the tool wants.</summary>
public static class Stores
{
    /// <summary>Read-only open: takes no lock, so it works while another process writes.</summary>
    public static SkvStore OpenReadOnly(string db)
    {
        RequireExisting(db);
        return SkvStore.OpenReadOnly(db);
    }

    /// <summary>Writer open: fails with exit code 2 when another writer holds the store.</summary>
    public static SkvStore OpenWriter(string db, bool createIfMissing)
    {
        if (!createIfMissing) RequireExisting(db);
        else if (Directory.Exists(db)) throw SkvToolException.Usage($"{db} is a directory, not a store file");
        return SkvStore.Open(db, new SkvOptions { CreateIfMissing = createIfMissing });
    }

    /// <summary>Whether <paramref name="db"/> is a Redis connection (<c>redis://host:port[,host:port...]</c>) instead of a store file.</summary>
    public static bool IsRedis(string db) => RedisSkvStorage.IsRedisUri(db);

    /// <summary>A Redis server, Redis Cluster (several seeds) or Garnet as a storage; connection failures are exit code 2.</summary>
    public static RedisSkvStorage ConnectRedis(string db)
    {
        try
        {
            return RedisSkvStorage.Connect(db);
        }
        catch (ArgumentException ex)
        {
            throw SkvToolException.Usage($"bad Redis connection {db}: {ex.Message}");
        }
    }

    /// <summary>For backup and verify: a Redis connection, or the store file opened read-only.</summary>
    public static ISkvStorage OpenForReading(string db) => IsRedis(db) ? ConnectRedis(db) : OpenReadOnly(db);

    public static void RequireExisting(string db)
    {
        if (Directory.Exists(db)) throw SkvToolException.Usage($"{db} is a directory, not a store file");
        if (!File.Exists(db)) throw SkvToolException.Usage($"store not found: {db}");
    }

    /// <summary>
    /// An existing file that does not start like a TypedSkv data file is refused before anything opens it for
    /// writing (which would create its lock file). A file shorter than the magic is left to the engine, which
    /// treats it as a creation that crashed before its header was complete.
    /// </summary>
    public static void RequireStoreFile(string db)
    {
        RequireExisting(db);
        Span<byte> head = stackalloc byte[StoreMagic.Length];
        int n;
        using (var file = new FileStream(db, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1))
            n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        if (n == head.Length && !head.SequenceEqual(StoreMagic))
            throw SkvToolException.DataProblem($"{db} is not a TypedSkv store (bad magic bytes); the store comes first: dotnet skv <command> <db> ...");
    }

    /// <summary>The first bytes of every data file (docs/file-format.md).</summary>
    private static ReadOnlySpan<byte> StoreMagic => "TYPEDSKV"u8;

    /// <summary>
    /// Refuses <paramref name="path"/> as an output when it is the store's data or lock file by identity (device and
    /// inode), so a symlinked directory, a bind mount or a hard link cannot make an output replace the store.
    /// </summary>
    public static void RefuseStoreFiles(string path, string db, string what)
    {
        if (FileIdentity.SameFile(path, db) || FileIdentity.SameFile(path, db + SkvStore.LockFileSuffix))
            throw SkvToolException.Usage($"the {what} {path} is the store's own file ({db}, through a link or another path); writing it would destroy the store");
    }

    public static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw SkvToolException.Usage($"{path} is a directory, not a {what}");
        if (!File.Exists(path)) throw SkvToolException.Usage($"{what} not found: {path}");
    }
}
