using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Tests.EndToEnd;

namespace TypedSkv.Tool.Tests.Regressions;

/// <summary>Issue 13 item 1: a restore that finds the store missing must never delete a store another process made.</summary>
public sealed class RestoreRaceTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_store_created_by_another_process_while_restore_runs_is_never_deleted()
    {
        string db = _dir.File("n.skv");
        TestStores.Create(_dir.File("src.skv"), 5);
        Assert.Equal(0, Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("src.skv"), _dir.File("n.json"))).ExitCode);
        WriterProcess? other = null;
        try
        {
            // the other process creates the store and holds its lock right after this restore found it missing
            RestoreCommand.AfterStoreLookup.Value = () => other = WriterProcess.Hold(db, "theirs", "kept");
            var result = Cli.Call((o, e) => RestoreCommand.Run(o, e, db, _dir.File("n.json")));
            RestoreCommand.AfterStoreLookup.Value = null;

            Assert.NotNull(other);
            Assert.Equal(2, result.ExitCode); // the other process holds the write lock
            Assert.Contains("open for writing", result.Stderr);
            Assert.True(File.Exists(db), "the other process's store was deleted");
            Assert.True(File.Exists(db + SkvStore.LockFileSuffix), "the lock file another process holds was deleted");
            using var store = SkvStore.OpenReadOnly(db);
            Assert.Equal("kept", store.GetString("theirs"));
            Assert.Equal(["n.json", "n.skv", "n.skv.lock", "src.skv", "src.skv.lock"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal)); // no temporary store left
        }
        finally
        {
            RestoreCommand.AfterStoreLookup.Value = null;
            other?.Dispose();
        }
    }
}

/// <summary>Restores into a store that does not exist yet: built aside, published only complete.</summary>
public sealed class RestoreIntoNewStoreTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string[] Files() => [.. Directory.GetFiles(_dir.Path).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    [Fact]
    public void A_new_store_appears_complete_and_leaves_no_temporary_or_lock_file()
    {
        TestStores.Create(_dir.File("src.skv"), 5);
        Assert.Equal(0, Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("src.skv"), _dir.File("b.json"))).ExitCode);

        var result = Cli.Call((o, e) => RestoreCommand.Run(o, e, _dir.File("new.skv"), _dir.File("b.json")));

        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["b.json", "new.skv", "src.skv", "src.skv.lock"], Files());
        using var store = SkvStore.OpenReadOnly(_dir.File("new.skv"));
        Assert.Equal(5, store.Count);
    }

    [Fact]
    public void A_failed_restore_into_a_new_store_leaves_no_file_at_all()
    {
        File.WriteAllText(_dir.File("bad.json"), """{"version":"1.0","total_records":2,"records":[{"key":"a","value":"1"}]}""");

        var result = Cli.Call((o, e) => RestoreCommand.Run(o, e, _dir.File("new.skv"), _dir.File("bad.json")));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(["bad.json"], Files());
    }

    [Fact]
    public void Swapped_arguments_are_refused_before_a_lock_file_is_made()
    {
        TestStores.Create(_dir.File("app.skv"), 2);
        Assert.Equal(0, Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("app.skv"), _dir.File("backup.json"))).ExitCode);

        var result = Cli.Call((o, e) => RestoreCommand.Run(o, e, _dir.File("backup.json"), _dir.File("app.skv")));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("not a TypedSkv store", result.Stderr);
        Assert.False(File.Exists(_dir.File("backup.json.lock")));
    }
}

/// <summary>Issue 13 item 10: timestamped names are unique within one second.</summary>
public sealed class TimestampedNameTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Two_backups_in_the_same_second_get_two_files()
    {
        TestStores.Create(_dir.File("app.skv"), 2);
        var now = new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);
        BackupCommand.Clock.Value = () => now;
        try
        {
            var first = Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("app.skv"), _dir.File("app.json"), timestamp: true, output: new(Json: true)));
            var second = Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("app.skv"), _dir.File("app.json"), gzip: true, timestamp: true, output: new(Json: true)));

            Assert.Equal(0, first.ExitCode);
            Assert.Equal(0, second.ExitCode);
            Assert.EndsWith("app_20261125T120000Z.json", first.Json().GetProperty("file").GetString());
            Assert.EndsWith("app_20261125T120000Z-2.json.gz", second.Json().GetProperty("file").GetString());
            Assert.Equal(2, Directory.GetFiles(_dir.Path, "app_*").Length);
        }
        finally
        {
            BackupCommand.Clock.Value = null;
        }
    }

    [Fact]
    public void The_writer_lock_probe_sees_a_writer_in_another_process()
    {
        string db = _dir.File("held.skv");
        using (EndToEnd.WriterProcess.Hold(db))
            Assert.True(Infrastructure.WriterLock.IsHeld(db));
        Assert.False(Infrastructure.WriterLock.IsHeld(db));
        Assert.False(Infrastructure.WriterLock.IsHeld(_dir.File("never-opened.skv")));
    }
}

/// <summary>Issue 13 item 2 in the library: SkvBackup.Backup compares identities too.</summary>
public sealed class BackupOntoStoreLibraryTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_backup_through_a_symlinked_folder_onto_the_store_throws_and_the_store_stays()
    {
        Directory.CreateDirectory(_dir.File("real"));
        Directory.CreateSymbolicLink(_dir.File("alias"), _dir.File("real"));
        TestStores.Create(_dir.File("real/db.skv"), 4);
        byte[] before = File.ReadAllBytes(_dir.File("real/db.skv"));

        using (var store = SkvStore.OpenReadOnly(_dir.File("real/db.skv")))
        {
            Assert.Throws<ArgumentException>(() => SkvBackup.Backup(store, _dir.File("alias/db.skv")));
            Assert.Throws<ArgumentException>(() => SkvBackup.Backup(store, _dir.File("alias/db.skv.lock")));
        }
        Assert.Equal(before, File.ReadAllBytes(_dir.File("real/db.skv")));
    }
}
