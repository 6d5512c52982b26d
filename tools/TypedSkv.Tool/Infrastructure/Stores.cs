using TypedSkv.Redis;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>Opens stores with the checks and messages the tool wants.</summary>
public static class Stores
{
    /// <summary>
    /// Read-only open: takes no lock, so it works while another process writes. Bytes past the last committed
    /// record that no live writer explains (the lock is free) are a torn tail: warned about, with what they hold.
    /// </summary>
    public static SkvStore OpenReadOnly(string db, Warnings warnings)
    {
        RequireExisting(db);
        var store = SkvStore.OpenReadOnly(db);
        var r = store.Recovery;
        if (r.TruncatedBytes > 0 && !WriterLock.IsHeld(db))
        {
            warnings.Add(new Warning(Warnings.TornTailKind,
                $"{db} ends in {r.TruncatedBytes} bytes that are not committed records ({r.Reason}" +
                (r.DiscardedBatchRecords > 0 ? $"; {r.DiscardedBatchRecords} records of a transaction that never committed" : "") +
                $"); this command ignored them, and the next command that opens the store for writing cuts them off. " +
                $"Back up the file as it is first if they matter; dotnet skv check {db} shows where",
                r.TruncatedBytes, r.DiscardedBatchRecords));
        }
        return store;
    }

    /// <summary>
    /// Writer open: fails with exit code 2 when another writer holds the store. What the open repaired (a torn tail
    /// cut off, a transaction that never committed discarded) is warned about.
    /// </summary>
    public static SkvStore OpenWriter(string db, bool createIfMissing, Warnings warnings, TimeSpan? wait = null)
    {
        if (!createIfMissing || File.Exists(db) || IsRedis(db)) RequireStoreFile(db);
        else if (Directory.Exists(db)) throw SkvToolException.Usage($"{db} is a directory, not a store file");
        var store = OpenWaiting(db, createIfMissing, warnings, wait);
        var r = store.Recovery;
        if (r.TruncatedBytes > 0)
        {
            warnings.Add(new Warning(Warnings.RepairedKind,
                $"opening {db} for writing cut off {r.TruncatedBytes} bytes at its end that were not committed records ({r.Reason}" +
                (r.DiscardedBatchRecords > 0 ? $"; {r.DiscardedBatchRecords} records of a transaction that never committed were discarded" : "") +
                "), left by a writer that stopped mid-write",
                r.TruncatedBytes, r.DiscardedBatchRecords));
        }
        return store;
    }

    /// <summary>
    /// Opens for writing; while another writer holds the lock, retries until <paramref name="wait"/> has passed. A
    /// refusal the lock does not explain (a read-only file system, permissions) is reported as what it is.
    /// </summary>
    private static SkvStore OpenWaiting(string db, bool createIfMissing, Warnings warnings, TimeSpan? wait)
    {
        var options = new SkvOptions { CreateIfMissing = createIfMissing };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        bool announced = false;
        while (true)
        {
            try
            {
                return SkvStore.Open(db, options);
            }
            catch (SkvLockedException ex) when (!WriterLock.IsHeld(db))
            {
                // the lock file could not be opened, but nobody holds it: say why
                string why = ex.InnerException?.Message ?? ex.Message;
                // .NET appends " : '<path>'" to the OS's text ("Read-only file system : '/x/app.skv.lock'")
                int quoted = why.IndexOf(" : '", StringComparison.Ordinal);
                if (quoted > 0) why = why[..quoted];
                throw SkvToolException.Usage($"cannot open {db} for writing: {why}", ex);
            }
            catch (SkvLockedException ex)
            {
                if (wait is not { } w || clock.Elapsed >= w)
                    throw new SkvToolException(ExitCode.UsageOrIoError, WriterLock.LockedMessage(db, wait, ex.HolderProcessId), ex);
                if (!announced)
                {
                    warnings.Notice($"waiting up to {w.TotalSeconds:0.#} s for the write lock of {db} ({WriterLock.LockedMessage(db, holder: ex.HolderProcessId).Split(". ")[0]})");
                    announced = true;
                }
                // a writer's lock is released at its exit or close; polling is the only portable way to notice
                Thread.Sleep(TimeSpan.FromMilliseconds(Math.Min(200, Math.Max(1, (w - clock.Elapsed).TotalMilliseconds))));
            }
        }
    }

    /// <summary>--wait's seconds as a time span (null: do not wait).</summary>
    public static TimeSpan? Wait(double? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;

    /// <summary>Whether <paramref name="db"/> is a Redis connection (<c>redis://</c> or <c>rediss://</c> URI) instead of a store file.</summary>
    public static bool IsRedis(string db) => RedisSkvStorage.IsRedisUri(db);

    /// <summary>
    /// A Redis server, Redis Cluster (several seeds) or Garnet as a storage, with the credentials and TLS files of
    /// <see cref="RedisCredentials"/> and the storage's <paramref name="options"/>; a bad URI and a failed connection
    /// are exit code 2.
    /// </summary>
    public static RedisSkvStorage ConnectRedis(string db, Warnings warnings, RedisArgs? redis = null, RedisSkvOptions? options = null) =>
        RedisSkvStorage.Connect(db, RedisCredentials.For(db, redis, warnings), options);

    /// <summary>The connection as messages and --json show it: a Redis URI without its password, a path as it is.</summary>
    public static string Shown(string db) => IsRedis(db) ? RedisConnection.Redact(db) : db;

    /// <summary>For backup and verify: a Redis connection, or the store file opened read-only.</summary>
    public static ISkvStorage OpenForReading(string db, Warnings warnings, RedisArgs? redis = null)
    {
        if (IsRedis(db)) return ConnectRedis(db, warnings, redis);
        RedisCredentials.RefuseForStoreFile(redis, db);
        return OpenReadOnly(db, warnings);
    }

    public static void RequireExisting(string db)
    {
        if (IsRedis(db))
            throw SkvToolException.Usage($"this command works on store files; {Shown(db)} is Redis, which backup, restore and verify --db support (for its figures use redis-cli INFO keyspace)");
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
        if (SkvFileIdentity.SameFile(path, db) || SkvFileIdentity.SameFile(path, db + SkvStore.LockFileSuffix))
            throw SkvToolException.Usage($"the {what} {path} is the store's own file ({db}, through a link or another path); writing it would destroy the store");
    }

    public static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw SkvToolException.Usage($"{path} is a directory, not a {what}");
        if (!File.Exists(path)) throw SkvToolException.Usage($"{what} not found: {path}");
    }
}
