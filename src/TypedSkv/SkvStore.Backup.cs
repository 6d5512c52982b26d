namespace TypedSkv;

public sealed partial class SkvStore
{
    /// <summary>Backs the store up to a JSON file; see <see cref="SkvBackup.Backup(SkvStore, string, BackupOptions?)"/>.</summary>
    public BackupResult Backup(string path, BackupOptions? options = null) => SkvBackup.Backup(this, path, options);

    /// <summary>Restores a JSON backup into the store, all or nothing; see <see cref="SkvBackup.Restore(SkvStore, string, RestoreOptions?)"/>.</summary>
    public RestoreResult Restore(string path, RestoreOptions? options = null) => SkvBackup.Restore(this, path, options);
}
