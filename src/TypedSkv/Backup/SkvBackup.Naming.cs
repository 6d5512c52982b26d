using TypedSkv.Backup;

namespace TypedSkv;

/// <summary>What <see cref="SkvBackup.PruneBackups(string, int, string)"/> did.</summary>
/// <param name="Deleted">Backups deleted (older than the one just written, beyond the kept number).</param>
/// <param name="Newer">Backups of the set stamped after the one just written (a clock that went back, a stray file): never deleted, not counted.</param>
public sealed record PruneResult(IReadOnlyList<string> Deleted, IReadOnlyList<string> Newer);

public static partial class SkvBackup
{
    /// <summary>
    /// <see cref="TimestampedPath"/> for <paramref name="now"/>, made unique within the second: when a backup of the
    /// set (in any format: .json, .json.gz, ...) already has that stamp, "-2", "-3", ... follows it.
    /// Publish with <see cref="BackupOptions.Overwrite"/> false to make it unique against concurrent backups too.
    /// </summary>
    public static string UniqueTimestampedPath(string path, DateTimeOffset? now = null) =>
        BackupNaming.FreeTimestampedPath(path, now ?? DateTimeOffset.UtcNow);

    /// <summary>
    /// Run after writing <paramref name="written"/> (a timestamped name of <paramref name="path"/>): keeps it and the
    /// newest <paramref name="keep"/> - 1 older backups of the set (one set: app.json, app.json.gz, ...), deletes the
    /// older rest. Never deletes <paramref name="written"/> or a backup stamped after it.
    /// </summary>
    public static PruneResult PruneBackups(string path, int keep, string written)
    {
        var (deleted, newer) = BackupNaming.PruneAfter(path, written, keep);
        return new PruneResult(deleted, newer);
    }
}
