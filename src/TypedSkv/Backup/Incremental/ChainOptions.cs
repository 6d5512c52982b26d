namespace TypedSkv;

public sealed partial class BackupOptions
{
    /// <summary>
    /// Write an incremental backup against this file: a full backup, or the last file of a chain (whose earlier
    /// files are found by the names their successors give, in the same folder). Null: a full backup.
    /// </summary>
    public string? IncrementalBase { get; set; }
}

public sealed partial class RestoreOptions
{
    /// <summary>For a chain: use only the files taken at or before this time (point-in-time restore).</summary>
    public DateTimeOffset? Until { get; set; }
}

public static partial class SkvBackup
{
    /// <summary>
    /// Restores a chain: a full backup followed by incrementals, each the base of the next (checked: name, time and
    /// checksum), to the state after its last file, or after the last one taken at or before
    /// <see cref="RestoreOptions.Until"/>. All or nothing on the embedded store. Keys must be in ascending order in
    /// every file (as TypedSkv writes them).
    /// </summary>
    public static RestoreResult Restore(ISkvStorage storage, IReadOnlyList<string> chain, RestoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return TypedSkv.Backup.Incremental.ChainRestorer.Restore(storage, chain, options ?? new RestoreOptions());
    }

    /// <summary>Restores a chain into a store file that does not exist yet (built under a temporary name, as for one file).</summary>
    public static RestoreResult RestoreToNewStore(string storePath, IReadOnlyList<string> chain, RestoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        options ??= new RestoreOptions();
        return options.DryRun
            ? TypedSkv.Backup.Incremental.ChainRestorer.Restore(null, chain, options)
            : TypedSkv.Backup.NewStoreRestorer.Restore(storePath, store => TypedSkv.Backup.Incremental.ChainRestorer.Restore(store, chain, options));
    }

    /// <summary>Verifies a chain: each file, each link, and with <paramref name="storage"/> the chain's final state against it.</summary>
    public static VerifyReport Verify(IReadOnlyList<string> chain, ISkvStorage? storage = null, VerifyOptions? options = null, DateTimeOffset? until = null)
    {
        ArgumentNullException.ThrowIfNull(chain);
        return TypedSkv.Backup.Incremental.ChainVerifier.Verify(chain, storage, options ?? new VerifyOptions(), until);
    }

    /// <summary>The chain that ends with <paramref name="last"/>, full backup first (bases found by name in the same folders).</summary>
    public static IReadOnlyList<string> ResolveChain(string last, BackupEncryption? encryption = null) =>
        TypedSkv.Backup.Incremental.BackupChain.Resolve(last, encryption);
}
