using TypedSkv.Backup;

namespace TypedSkv;

public static partial class SkvBackup
{
    /// <summary>
    /// Writes a backup to a stream the caller owns (stdout, a socket), gzip-compressed when
    /// <see cref="BackupOptions.Gzip"/> is true; the stream stays open. There is no temporary file and no rename: a
    /// failure midway leaves a partial document, which verify and restore reject. <see cref="BackupResult.Path"/> is empty.
    /// </summary>
    public static BackupResult Backup(ISkvStorage storage, Stream output, BackupOptions? options = null) =>
        BackupCreator.Backup(storage, output, options);

    /// <summary>
    /// <see cref="Restore(ISkvStorage, string, RestoreOptions?)"/> from a stream read once (stdin, a pipe; gzip is
    /// recognised by its first bytes). The embedded store takes it in one transaction; a server backend refuses a
    /// stream (it checks the whole backup before writing). <paramref name="name"/> names the input in messages.
    /// </summary>
    public static RestoreResult Restore(ISkvStorage storage, Stream input, string name = "-", RestoreOptions? options = null) =>
        BackupRestorer.Restore(storage, input, name, options);

    /// <summary>Restores a stream into a store file that does not exist yet (see <see cref="RestoreToNewStore(string, string, RestoreOptions?)"/>).</summary>
    public static RestoreResult RestoreToNewStore(string storePath, Stream input, string name = "-", RestoreOptions? options = null) =>
        options?.DryRun == true
            ? BackupRestorer.Restore(null, input, name, options)
            : NewStoreRestorer.Restore(storePath, store => BackupRestorer.Restore(store, input, name, options));

    /// <summary><see cref="Verify(string, VerifyOptions?)"/> of a stream read once; <paramref name="name"/> names it in the report.</summary>
    public static VerifyReport Verify(Stream input, string name = "-", VerifyOptions? options = null) =>
        BackupVerifier.Verify(input, name, null, options);

    /// <summary><see cref="Verify(string, ISkvStorage, VerifyOptions?)"/> of a stream read once.</summary>
    public static VerifyReport Verify(Stream input, ISkvStorage storage, string name = "-", VerifyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(storage);
        return BackupVerifier.Verify(input, name, storage, options);
    }
}
