using TypedSkv;

namespace Migration;

/// <summary>The process exit code: what happened.</summary>
public enum Outcome
{
    /// <summary>Migrated, or already at the current schema.</summary>
    Migrated = 0,
    /// <summary>Bad arguments, or no verified backup: nothing was changed.</summary>
    NotStarted = 1,
    /// <summary>The migration failed; the backup was restored and the store verified against it.</summary>
    RolledBack = 2,
    /// <summary>The migration failed and so did the restore: the store needs attention; the backup is kept.</summary>
    RestoreFailed = 3,
}

/// <summary>Schema v1 to v2: split FullName into FirstName/LastName, add the unique Email index.</summary>
public static class UsersV1ToV2
{
    private const int CurrentSchema = 2;
    private const int ChunkSize = 100;

    public static Outcome Run(SkvStore store, string storePath, int? failAfter = null)
    {
        var v1 = new AppDbV1(store);   // both typed views over the same store
        var v2 = new AppDb(store);

        int schema = v2.Meta.Get("schema")?.Value ?? 1;
        if (schema >= CurrentSchema)
        {
            Console.WriteLine($"schema is already v{schema}: nothing to do");
            return Outcome.Migrated;
        }

        // 1. Back up, and check the backup against the live store, before changing anything.
        string directory = Path.GetDirectoryName(Path.GetFullPath(storePath))!;
        string backupBase = Path.Combine(directory, "backups", Path.GetFileNameWithoutExtension(storePath) + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(backupBase)!);
        string backupPath = SkvBackup.TimestampedPath(backupBase);
        try
        {
            BackupResult backup = store.Backup(backupPath);
            VerifyReport check = SkvBackup.Verify(backupPath, store);
            if (!check.Ok) throw new InvalidOperationException($"backup does not match the store: {string.Join("; ", check.Problems.Take(3))}");
            Console.WriteLine($"backup:   {backup.Records} records -> {backupPath}");
        }
        catch (Exception e) when (e is SkvException or IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: could not back up the store, nothing was changed: {e.Message}");
            return Outcome.NotStarted;
        }

        // 2. Migrate in chunks (one transaction each), then verify; on any failure restore the backup.
        try
        {
            List<UserV1> users = v1.Users.All().ToList();
            int done = 0;
            foreach (UserV1[] chunk in users.Chunk(ChunkSize))
            {
                using var tx = store.BeginTransaction();
                foreach (UserV1 old in chunk)
                {
                    if (done == failAfter) throw new InvalidOperationException($"injected failure after {done} records (--fail-after)");
                    (string first, string last) = SplitName(old.FullName);
                    v2.Users.Put(tx, new User(old.Id, first, last, old.Email));   // also writes the new index entry
                    done++;
                }
                tx.Commit();
                Console.WriteLine($"migrated: {done}/{users.Count}");
            }
            v2.Meta.Put(new MetaValue("schema", CurrentSchema));

            // Verify with the v2 accessors: one v2 record per v1 record, and the new index finds each one.
            long count = v2.Users.Count();
            if (count != users.Count) throw new InvalidOperationException($"expected {users.Count} users, found {count}");
            foreach (UserV1 old in users)
            {
                User? now = v2.Users.Get(old.Id);
                if (now is null || $"{now.FirstName} {now.LastName}".Trim() != old.FullName.Trim() || v2.Users.ByEmail.Get(old.Email)?.Id != old.Id)
                {
                    throw new InvalidOperationException($"user {old.Id} did not migrate correctly");
                }
            }
            Console.WriteLine($"verified: {users.Count} users at schema v{CurrentSchema}");
            SkvBackup.PruneBackups(backupBase, keep: 5);
            return Outcome.Migrated;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"migration failed: {e.Message}");
            return Restore(store, backupPath);
        }
    }

    private static Outcome Restore(SkvStore store, string backupPath)
    {
        try
        {
            RestoreResult restored = store.Restore(backupPath, new RestoreOptions { Mode = RestoreMode.Replace });
            VerifyReport check = SkvBackup.Verify(backupPath, store);
            if (!check.Ok) throw new InvalidOperationException($"store differs from the backup after restore: {string.Join("; ", check.Problems.Take(3))}");
            Console.Error.WriteLine($"restored: {restored.Records} records from {backupPath}; the store is as it was before the migration");
            return Outcome.RolledBack;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"error: restore failed too: {e.Message}; the backup is kept at {backupPath}");
            return Outcome.RestoreFailed;
        }
    }

    private static (string First, string Last) SplitName(string fullName)
    {
        string name = fullName.Trim();
        int space = name.LastIndexOf(' ');
        return space < 0 ? (name, "") : (name[..space], name[(space + 1)..]);
    }
}
