using TypedSkv.Tool.Commands;

namespace TypedSkv.Tool.Tests;

/// <summary>Issue 13 items 6 and 9: partial restore and what restore says it did.</summary>
public sealed class RestoreSelectionTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("app.skv");
    private string Backup => _dir.File("app.json");

    /// <summary>A backup of user:1..3 and order:1..2, then the store moves on: user:1 deleted by accident, user:2 and order:1 changed, user:9 added.</summary>
    private void Arrange()
    {
        using (var store = SkvStore.Open(Db))
        {
            foreach (string k in new[] { "user:1", "user:2", "user:3", "order:1", "order:2" }) store.Put(k, "old " + k);
        }
        Assert.Equal(0, Cli.Call((o, e) => BackupCommand.Run(o, e, Db, Backup)).ExitCode);
        using (var store = SkvStore.Open(Db))
        {
            store.Delete("user:1");
            store.Put("user:2", "new user:2");
            store.Put("order:1", "new order:1");
            store.Put("user:9", "new user:9");
        }
    }

    private static Dictionary<string, string> Contents(string db)
    {
        using var store = SkvStore.OpenReadOnly(db);
        return store.Scan().ToDictionary(e => e.KeyString, e => System.Text.Encoding.UTF8.GetString(e.GetValue()));
    }

    private CliResult Restore(RestoreModeArg mode = RestoreModeArg.Merge, bool dryRun = false, string[]? keys = null, string[]? prefixes = null, bool missingOnly = false) =>
        Cli.Call((o, e) => RestoreCommand.Run(o, e, Db, Backup, mode, dryRun, new(Json: true),
            new RestoreCommand.Selection(keys ?? [], prefixes ?? [], missingOnly)));

    [Fact]
    public void Restoring_one_key_brings_it_back_and_reverts_nothing_else()
    {
        Arrange();

        var r = Restore(keys: ["user:1"]);

        Assert.Equal(0, r.ExitCode);
        var c = Contents(Db);
        Assert.Equal("old user:1", c["user:1"]);
        Assert.Equal("new user:2", c["user:2"]);
        Assert.Equal("new order:1", c["order:1"]);
        Assert.Equal("new user:9", c["user:9"]);
        var json = r.Json();
        Assert.Equal(1, json.GetProperty("added").GetInt64());
        Assert.Equal(0, json.GetProperty("overwritten").GetInt64());
        Assert.Equal(4, json.GetProperty("skipped").GetInt64());
    }

    [Fact]
    public void Missing_only_adds_what_the_store_lacks_and_changes_nothing_it_holds()
    {
        Arrange();

        var r = Restore(missingOnly: true);

        Assert.Equal(0, r.ExitCode);
        var c = Contents(Db);
        Assert.Equal("old user:1", c["user:1"]);
        Assert.Equal("new user:2", c["user:2"]);
        Assert.Equal("new order:1", c["order:1"]);
        Assert.Equal(1, r.Json().GetProperty("added").GetInt64());
        Assert.Equal(4, r.Json().GetProperty("skipped").GetInt64());
    }

    [Fact]
    public void Prefix_replace_makes_the_prefix_exactly_the_backup_and_leaves_other_keys()
    {
        Arrange();

        var r = Restore(RestoreModeArg.Replace, prefixes: ["user:"]);

        Assert.Equal(0, r.ExitCode);
        var c = Contents(Db);
        Assert.Equal(["old user:1", "old user:2", "old user:3"], new[] { "user:1", "user:2", "user:3" }.Select(k => c[k]));
        Assert.False(c.ContainsKey("user:9"));
        Assert.Equal("new order:1", c["order:1"]);
        var json = r.Json();
        Assert.Equal((1, 1, 1, 1), (json.GetProperty("added").GetInt64(), json.GetProperty("overwritten").GetInt64(),
            json.GetProperty("unchanged").GetInt64(), json.GetProperty("removed").GetInt64()));
    }

    [Fact]
    public void A_dry_run_prints_the_counts_of_the_real_restore_and_writes_nothing()
    {
        Arrange();
        byte[] before = File.ReadAllBytes(Db);

        var dry = Restore(RestoreModeArg.Replace, dryRun: true);
        Assert.Equal(before, File.ReadAllBytes(Db));
        var real = Restore(RestoreModeArg.Replace);

        Assert.Equal(0, dry.ExitCode);
        Assert.Equal(0, real.ExitCode);
        foreach (string count in new[] { "added", "overwritten", "unchanged", "removed" })
            Assert.Equal(real.Json().GetProperty(count).GetInt64(), dry.Json().GetProperty(count).GetInt64());
        Assert.Equal((1, 2, 2, 1), (real.Json().GetProperty("added").GetInt64(), real.Json().GetProperty("overwritten").GetInt64(),
            real.Json().GetProperty("unchanged").GetInt64(), real.Json().GetProperty("removed").GetInt64()));
        Assert.True(dry.Json().GetProperty("dryRun").GetBoolean());
    }

    [Fact]
    public void A_dry_run_into_a_missing_store_creates_nothing_anywhere()
    {
        Arrange();
        string missing = _dir.File("new.skv");
        int tempBefore = Directory.GetFiles(Path.GetTempPath(), "skv-dry-run-*").Length;

        var r = Cli.Call((o, e) => RestoreCommand.Run(o, e, missing, Backup, dryRun: true));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("would add 5", r.Stdout);
        Assert.False(File.Exists(missing));
        Assert.False(File.Exists(missing + SkvStore.LockFileSuffix));
        Assert.Equal(tempBefore, Directory.GetFiles(Path.GetTempPath(), "skv-dry-run-*").Length);
    }

    [Fact]
    public void Missing_only_with_replace_is_a_usage_error()
    {
        Arrange();
        Assert.Equal(2, Restore(RestoreModeArg.Replace, missingOnly: true).ExitCode);
        Assert.Equal(2, Cli.Run("restore", Db, Backup, "--prefix", "").ExitCode);
    }

    [Fact]
    public void The_command_line_takes_repeated_keys_and_prefixes()
    {
        Arrange();

        var r = Cli.Run("restore", Db, Backup, "--key", "user:1", "--key", "user:2", "--prefix", "order:", "--json");

        Assert.Equal(0, r.ExitCode);
        var c = Contents(Db);
        Assert.Equal("old user:1", c["user:1"]);
        Assert.Equal("old user:2", c["user:2"]);
        Assert.Equal("old order:1", c["order:1"]);
        Assert.Equal("new user:9", c["user:9"]);
        Assert.Equal(1, r.Json().GetProperty("skipped").GetInt64()); // user:3
    }
}

/// <summary>Issue 13 item 9: a prefix backup records its prefix, and verify --db compares only that prefix.</summary>
public sealed class PrefixBackupTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Verify_of_a_prefix_backup_against_the_whole_store_compares_only_the_prefix()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 5, "user:");
        TestStores.Create(_dir.File("other.skv"), 1);
        using (var store = SkvStore.Open(db)) store.Put("order:1", "x");
        Assert.Equal(0, Cli.Run("backup", db, _dir.File("users.json"), "--prefix", "user:").ExitCode);

        var r = Cli.Run("verify", _dir.File("users.json"), "--db", db, "--json");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("user:", r.Json().GetProperty("prefix").GetString());
        Assert.Equal(0, r.Json().GetProperty("comparison").GetProperty("extraInStore").GetInt64());
        Assert.Contains("\"prefix\": \"user:\"", File.ReadAllText(_dir.File("users.json")));
    }
}
