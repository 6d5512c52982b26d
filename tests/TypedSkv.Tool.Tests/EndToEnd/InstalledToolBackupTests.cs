using System.Text;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>backup, restore and verify through the installed tool, as separate processes.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolBackupTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    [Fact]
    public void Backup_restore_into_a_new_store_verify()
    {
        TestStores.Create(_dir.File("app.skv"), 40);

        var backup = Skv("backup", "app.skv", "backups/app.json", "--json");
        var restore = Skv("restore", "restored.skv", "backups/app.json", "--json");
        var verify = Skv("verify", "backups/app.json", "--db", "restored.skv", "--json");
        var check = Skv("check", "restored.skv");

        Assert.Equal(0, backup.ExitCode);
        Assert.Equal(40, backup.Json().GetProperty("records").GetInt64());
        Assert.Equal(0, restore.ExitCode);
        Assert.Equal(40, restore.Json().GetProperty("records").GetInt64());
        Assert.Equal(0, verify.ExitCode);
        Assert.True(verify.Json().GetProperty("ok").GetBoolean());
        Assert.Equal(40, verify.Json().GetProperty("comparison").GetProperty("matching").GetInt64());
        Assert.Equal(0, check.ExitCode);
    }

    [Fact]
    public void A_backup_with_one_value_byte_changed_fails_verify_naming_the_record()
    {
        TestStores.Create(_dir.File("app.skv"), 40);
        Assert.Equal(0, Skv("backup", "app.skv", "app.json").ExitCode);
        string path = _dir.File("app.json");
        byte[] bytes = File.ReadAllBytes(path);
        int at = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(TestStores.ValueOf(7)));
        bytes[at + 12] = (byte)'X'; // one byte of key:0007's value
        File.WriteAllBytes(path, bytes);

        var alone = Skv("verify", "app.json");
        var withStore = Skv("verify", "app.json", "--db", "app.skv");

        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("checksum", alone.Stderr);
        Assert.Equal(1, withStore.ExitCode);
        Assert.Contains("key:0007", withStore.Stdout);
        Assert.StartsWith("error: ", withStore.Stderr);
    }

    [Fact]
    public void Restore_of_a_malformed_file_leaves_the_store_unchanged()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 40);
        Assert.Equal(0, Skv("backup", "app.skv", "app.json").ExitCode);
        string text = File.ReadAllText(_dir.File("app.json"));
        File.WriteAllText(_dir.File("bad.json"), text[..(text.Length / 2)]);
        using (var store = SkvStore.Open(db)) store.Put("after-backup", "stays");
        byte[] before = File.ReadAllBytes(db);
        string listBefore = Skv("list", "app.skv", "--values", "--json").Stdout;

        var merge = Skv("restore", "app.skv", "bad.json");
        var replace = Skv("restore", "app.skv", "bad.json", "--mode", "replace", "--json");

        Assert.Equal(1, merge.ExitCode);
        Assert.StartsWith("error: ", merge.Stderr);
        Assert.Equal(1, replace.ExitCode);
        Assert.False(replace.Json().GetProperty("ok").GetBoolean());
        Assert.Equal(before, File.ReadAllBytes(db));
        Assert.Equal(listBefore, Skv("list", "app.skv", "--values", "--json").Stdout);
    }

    [Fact]
    public void Missing_files_and_bad_options_exit_2()
    {
        TestStores.Create(_dir.File("app.skv"), 1);

        var missingBackup = Skv("restore", "app.skv", "nope.json");
        var missingStore = Skv("backup", "nope.skv", "b.json");
        var badMode = Skv("restore", "app.skv", "b.json", "--mode", "sideways");
        var badKeep = Skv("backup", "app.skv", "b.json", "--timestamp", "--keep", "none");

        Assert.All([missingBackup, missingStore, badMode, badKeep], r =>
        {
            Assert.Equal(2, r.ExitCode);
            Assert.StartsWith("error: ", r.Stderr);
            Assert.Equal("", r.Stdout);
        });
    }

    [Fact]
    public void Backup_of_a_store_that_another_process_is_writing_succeeds()
    {
        string db = _dir.File("live.skv");
        ProcessResult backup;
        using (WriterProcess.Puts(db, acked: 50))
        {
            backup = Skv("backup", "live.skv", "live.json", "--json");
            Assert.Equal(2, Skv("put", "live.skv", "x", "y").ExitCode); // the writer really holds the lock
        }

        Assert.Equal(0, backup.ExitCode);
        Assert.True(backup.Json().GetProperty("records").GetInt64() >= 50);
        Assert.Equal(0, Skv("verify", "live.json").ExitCode);
        Assert.Equal(0, Skv("restore", "copy.skv", "live.json").ExitCode);
    }

    [Fact]
    public void Backup_of_a_store_held_open_by_an_idle_writer_matches_it()
    {
        string db = _dir.File("held.skv");
        TestStores.Create(db, 10);
        using var writer = WriterProcess.Hold(db);

        var backup = Skv("backup", "held.skv", "held.json.gz", "--json");
        var verify = Skv("verify", "held.json.gz", "--db", "held.skv", "--json");

        Assert.Equal(0, backup.ExitCode);
        Assert.Equal(10, backup.Json().GetProperty("records").GetInt64());
        Assert.Equal(0, verify.ExitCode);
    }

    [Fact]
    public async Task Two_parallel_restores_into_a_missing_store_both_succeed_and_the_store_stays()
    {
        TestStores.Create(_dir.File("src.skv"), 40);
        Assert.Equal(0, Skv("backup", "src.skv", "n.json").ExitCode);

        for (int round = 0; round < 3; round++)
        {
            string db = $"n{round}.skv";
            var runs = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => Skv("restore", db, "n.json"))));

            Assert.All(runs, r => Assert.Equal(0, r.ExitCode));
            var check = Skv("check", db, "--json");
            Assert.Equal(0, check.ExitCode);
            Assert.Equal(40, check.Json().GetProperty("records").GetInt64());
        }
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.restore-*"));
    }
}
