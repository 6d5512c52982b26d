using System.Text;
using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Tests;

/// <summary>backup, restore and verify, in-process.</summary>
public sealed class BackupCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("app.skv");

    private static readonly OutputSettings Json = new(Json: true);

    private void CreateStore(int records = 20)
    {
        TestStores.Create(Db, records);
        using var store = SkvStore.Open(Db);
        store.Put("blob"u8, new byte[] { 0x00, 0xFF, 0x80 });
    }

    private static Dictionary<string, string> Content(string db)
    {
        using var store = SkvStore.OpenReadOnly(db);
        return store.Scan().ToDictionary(e => Convert.ToBase64String(e.Key.Span), e => Convert.ToBase64String(e.GetValue()));
    }

    [Fact]
    public void Backup_restore_verify_round_trip()
    {
        CreateStore();
        string file = _dir.File("backups/app.json");
        string restored = _dir.File("restored.skv");

        var backup = Cli.Call((o, e) => BackupCommand.Run(o, e, Db, file, output: Json));
        var restore = Cli.Call((o, e) => RestoreCommand.Run(o, e, restored, file, output: Json));
        var verify = Cli.Call((o, e) => VerifyCommand.Run(o, e, file, restored, output: Json));

        Assert.Equal(0, backup.ExitCode);
        Assert.Equal(21, backup.Json().GetProperty("records").GetInt64());
        Assert.True(File.Exists(file));
        Assert.Equal(0, restore.ExitCode);
        Assert.Equal(21, restore.Json().GetProperty("records").GetInt64());
        Assert.Equal(0, verify.ExitCode);
        var comparison = verify.Json().GetProperty("comparison");
        Assert.Equal(21, comparison.GetProperty("matching").GetInt64());
        Assert.Equal(Content(Db), Content(restored));
    }

    [Fact]
    public void Human_output_says_what_happened()
    {
        CreateStore(3);
        string file = _dir.File("app.json");

        var backup = Cli.Run("backup", Db, file);
        var verify = Cli.Run("verify", file, "--db", Db);

        Assert.StartsWith($"backed up 4 records from {Db} to ", backup.Stdout);
        Assert.StartsWith("ok: ", verify.Stdout);
        Assert.Contains("4 matching", verify.Stdout);
        Assert.Equal("", backup.Stderr + verify.Stderr);
    }

    [Fact]
    public void Prefix_backs_up_only_matching_keys_and_verify_prefix_compares_them()
    {
        CreateStore();
        using (var store = SkvStore.Open(Db)) store.Put("other:1", "x");
        string file = _dir.File("keys.json");

        var backup = Cli.Run("backup", Db, file, "--prefix", "key:", "--json");
        var verifyAll = Cli.Run("verify", file, "--db", Db);
        var verifyPrefix = Cli.Run("verify", file, "--db", Db, "--prefix", "key:");

        Assert.Equal(20, backup.Json().GetProperty("records").GetInt64());
        Assert.Equal(0, verifyAll.ExitCode); // the backup records its prefix: other keys of the store are not missing from it
        Assert.Equal(0, verifyPrefix.ExitCode);
    }

    [Fact]
    public void Gzip_adds_the_extension_and_verify_and_restore_read_it()
    {
        CreateStore();

        var backup = Cli.Run("backup", Db, _dir.File("app.json"), "--gzip", "--json");
        string written = backup.Json().GetProperty("file").GetString()!;

        Assert.EndsWith("app.json.gz", written);
        byte[] head = File.ReadAllBytes(written)[..2];
        Assert.Equal(new byte[] { 0x1F, 0x8B }, head);
        Assert.Equal(0, Cli.Run("verify", written, "--db", Db).ExitCode);
        Assert.Equal(0, Cli.Run("restore", _dir.File("new.skv"), written).ExitCode);
    }

    [Fact]
    public void Timestamp_and_keep_prune_the_oldest_backups()
    {
        CreateStore(2);
        Directory.CreateDirectory(_dir.File("backups"));
        string[] old = ["app_20200101T000000Z.json", "app_20210101T000000Z.json", "app_20220101T000000Z.json"];
        foreach (string name in old) File.WriteAllText(_dir.File(Path.Combine("backups", name)), "{}");
        File.WriteAllText(_dir.File("backups/unrelated.json"), "{}");

        var r = Cli.Run("backup", Db, _dir.File("backups/app.json"), "--timestamp", "--keep", "2", "--json");

        Assert.Equal(0, r.ExitCode);
        var json = r.Json();
        string written = json.GetProperty("file").GetString()!;
        Assert.Matches(@"app_\d{8}T\d{6}Z\.json$", written);
        var pruned = json.GetProperty("pruned").EnumerateArray().Select(p => Path.GetFileName(p.GetString()!)).Order().ToArray();
        Assert.Equal(new[] { old[0], old[1] }, pruned);
        Assert.True(File.Exists(written));
        Assert.True(File.Exists(_dir.File(Path.Combine("backups", old[2]))));
        Assert.True(File.Exists(_dir.File("backups/unrelated.json")));
    }

    [Theory]
    [InlineData("--keep", "3")]                 // --keep without --timestamp
    [InlineData("--keep", "0", "--timestamp")]  // --keep below 1
    public void Bad_backup_options_exit_2(params string[] options)
    {
        CreateStore(1);

        var r = Cli.Run(["backup", Db, _dir.File("b.json"), .. options]);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.False(File.Exists(_dir.File("b.json")));
    }

    [Fact]
    public void Backup_of_a_missing_store_exits_2_and_writes_nothing()
    {
        var r = Cli.Call((o, e) => BackupCommand.Run(o, e, _dir.File("missing.skv"), _dir.File("b.json"), output: Json));

        Assert.Equal(2, r.ExitCode);
        Assert.False(r.Json().GetProperty("ok").GetBoolean());
        Assert.False(File.Exists(_dir.File("b.json")));
    }

    [Fact]
    public void Backup_works_while_this_process_has_the_store_open_for_writing()
    {
        using var writer = SkvStore.Open(Db, new SkvOptions { Durability = SkvDurability.Flush });
        for (int i = 0; i < 100; i++) writer.Put(TestStores.KeyOf(i), TestStores.ValueOf(i));

        var r = Cli.Run("backup", Db, _dir.File("b.json"), "--json");
        writer.Put("after", "backup");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal(100, r.Json().GetProperty("records").GetInt64());
    }

    [Fact]
    public void Restore_of_a_malformed_file_leaves_the_store_unchanged()
    {
        CreateStore();
        string file = _dir.File("app.json");
        Assert.Equal(0, Cli.Run("backup", Db, file).ExitCode);
        string text = File.ReadAllText(file);
        File.WriteAllText(file, text[..(text.Length * 2 / 3)]); // cut mid-record
        using (var store = SkvStore.Open(Db)) store.Put("key:0001", "changed since the backup");
        var before = Content(Db);
        long length = new FileInfo(Db).Length;

        foreach (var mode in new[] { RestoreModeArg.Merge, RestoreModeArg.Replace })
        {
            var r = Cli.Call((o, e) => RestoreCommand.Run(o, e, Db, file, mode));

            Assert.Equal(1, r.ExitCode);
            Assert.StartsWith("error: ", r.Stderr);
            Assert.Contains("record index", r.Stderr);
        }
        Assert.Equal(before, Content(Db));
        Assert.Equal(length, new FileInfo(Db).Length);
    }

    [Fact]
    public void Failed_restore_into_a_new_store_leaves_no_file_behind()
    {
        string file = _dir.File("bad.json");
        File.WriteAllText(file, """{"version":"1.0","records":[{"key":"a","value":"!!","encoding":"base64"}]}""");
        string db = _dir.File("new.skv");

        var r = Cli.Run("restore", db, file, "--json");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(1, r.Json().GetProperty("exitCode").GetInt32());
        Assert.False(File.Exists(db));
        Assert.False(File.Exists(db + SkvStore.LockFileSuffix));
    }

    [Fact]
    public void Replace_mode_drops_keys_that_are_not_in_the_backup()
    {
        CreateStore(5);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);
        using (var store = SkvStore.Open(Db)) store.Put("extra", "x");

        var merge = Cli.Run("restore", Db, file, "--mode", "merge");
        bool extraAfterMerge = Content(Db).ContainsKey(Convert.ToBase64String("extra"u8));
        var replace = Cli.Run("restore", Db, file, "--mode", "replace", "--json");

        Assert.Equal(0, merge.ExitCode);
        Assert.True(extraAfterMerge);
        Assert.Equal(0, replace.ExitCode);
        Assert.Equal("replace", replace.Json().GetProperty("mode").GetString());
        Assert.False(Content(Db).ContainsKey(Convert.ToBase64String("extra"u8)));
        Assert.Equal(6, Content(Db).Count);
    }

    [Fact]
    public void Dry_run_writes_nothing_and_creates_no_store()
    {
        CreateStore(5);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);
        using (var store = SkvStore.Open(Db)) store.Delete(TestStores.KeyOf(0));
        var before = Content(Db);
        string newDb = _dir.File("new.skv");

        var existing = Cli.Run("restore", Db, file, "--dry-run", "--mode", "replace", "--json");
        var missing = Cli.Run("restore", newDb, file, "--dry-run");

        Assert.Equal(0, existing.ExitCode);
        Assert.True(existing.Json().GetProperty("dryRun").GetBoolean());
        Assert.Equal(before, Content(Db));
        Assert.Equal(0, missing.ExitCode);
        Assert.StartsWith("dry run: ", missing.Stdout);
        Assert.False(File.Exists(newDb));
    }

    [Fact]
    public void Dry_run_needs_no_write_lock_so_it_works_beside_a_writer()
    {
        CreateStore(5);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);
        using var writer = SkvStore.Open(Db); // holds the OS lock, like a running application
        var dry = Cli.Run("restore", Db, file, "--dry-run");
        Assert.Equal(0, dry.ExitCode);
        Assert.StartsWith("dry run: ", dry.Stdout);
        Assert.Equal(2, Cli.Run("restore", Db, file).ExitCode); // a real restore still needs the lock
    }

    [Fact]
    public void Restore_errors_are_usage_errors_when_the_input_is_missing_or_the_store_is_locked()
    {
        CreateStore(1);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);

        var missing = Cli.Run("restore", Db, _dir.File("nope.json"));
        using var writer = SkvStore.Open(Db);
        var locked = Cli.Run("restore", Db, file);

        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("backup file not found", missing.Stderr);
        Assert.Equal(2, locked.ExitCode);
        Assert.Contains("open for writing", locked.Stderr);
    }

    [Fact]
    public void Verify_names_the_record_whose_value_changed()
    {
        CreateStore();
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);
        string text = File.ReadAllText(file);
        string value = TestStores.ValueOf(7);
        File.WriteAllText(file, text.Replace(value, value.Replace('c', 'd')), new UTF8Encoding(false));

        var alone = Cli.Call((o, e) => VerifyCommand.Run(o, e, file));
        var withStore = Cli.Call((o, e) => VerifyCommand.Run(o, e, file, Db, output: Json));

        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("checksum", alone.Stderr);
        Assert.Contains("--db", alone.Stderr); // says how to find the record
        Assert.Equal(1, withStore.ExitCode);
        Assert.Contains("key:0007", withStore.Stderr);
        var json = withStore.Json();
        Assert.False(json.GetProperty("checksumValid").GetBoolean());
        Assert.Contains(json.GetProperty("problems").EnumerateArray(), p => p.GetProperty("key").GetString() == "\"key:0007\"");
        Assert.Equal(1, json.GetProperty("comparison").GetProperty("differentValues").GetInt64());
    }

    [Fact]
    public void Verify_names_the_record_with_bad_base64()
    {
        CreateStore(3);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);
        File.WriteAllText(file, File.ReadAllText(file).Replace("AP+A", "AP!A"));

        var r = Cli.Run("verify", file);

        Assert.Equal(1, r.ExitCode);
        Assert.Matches("record index 0 \\(key \"blob\"\\)|record index 0", r.Stdout);
        Assert.Contains("base64", r.Stdout);
        Assert.Contains("problem(s), listed above", r.Stderr);
    }

    [Fact]
    public void Verify_usage_errors_exit_2()
    {
        CreateStore(1);
        string file = _dir.File("app.json");
        Cli.Run("backup", Db, file);

        Assert.Equal(2, Cli.Run("verify", _dir.File("nope.json")).ExitCode);
        Assert.Equal(2, Cli.Run("verify", file, "--prefix", "x").ExitCode);
        Assert.Equal(2, Cli.Run("verify", file, "--db", _dir.File("nope.skv")).ExitCode);
    }

    [Fact]
    public void Verify_of_a_file_that_is_not_a_backup_is_a_data_problem()
    {
        string file = _dir.File("notes.json");
        File.WriteAllText(file, "this is not json");

        var r = Cli.Run("verify", file, "--json");

        Assert.Equal(1, r.ExitCode);
        Assert.False(r.Json().GetProperty("ok").GetBoolean());
    }
}
