using System.Text;

namespace TypedSkv.Tool.Tests;

/// <summary>backup --encrypt / --zstd / --incremental, restore and verify of chains and --until, through the parser, in-process.</summary>
public sealed class EncryptedAndIncrementalCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("app.skv");

    private string Passphrase(string name = "pass", string text = "correct horse battery staple\n")
    {
        string path = _dir.File(name);
        File.WriteAllText(path, text);
        return path;
    }

    private static Dictionary<string, string> Content(string db)
    {
        using var store = SkvStore.OpenReadOnly(db);
        return store.Scan().ToDictionary(e => e.KeyString, e => Convert.ToBase64String(e.GetValue()));
    }

    [Fact]
    public void Encrypted_backup_restores_and_verifies_with_the_passphrase_file()
    {
        TestStores.Create(Db, 30);
        string pass = Passphrase();
        string file = _dir.File("b/app.json");

        var backup = Cli.Run("backup", Db, file, "--zstd", "--encrypt", "--passphrase-file", pass, "--json");
        Assert.Equal(0, backup.ExitCode);
        Assert.True(backup.Json().GetProperty("encrypted").GetBoolean());
        Assert.True(File.Exists(file + ".zst"));
        Assert.Equal(0x89, File.ReadAllBytes(file + ".zst")[0]);

        var restore = Cli.Run("restore", _dir.File("r.skv"), file + ".zst", "--passphrase-file", pass);
        var verify = Cli.Run("verify", file + ".zst", "--db", _dir.File("r.skv"), "--passphrase-file", pass, "--json");

        Assert.Equal(0, restore.ExitCode);
        Assert.Equal(Content(Db), Content(_dir.File("r.skv")));
        Assert.Equal(0, verify.ExitCode);
        Assert.Equal(30, verify.Json().GetProperty("comparison").GetProperty("matching").GetInt64());
    }

    [Fact]
    public void Wrong_passphrase_exits_1_before_anything_is_written_and_no_passphrase_is_a_usage_error()
    {
        TestStores.Create(Db, 10);
        string file = _dir.File("app.json");
        Assert.Equal(0, Cli.Run("backup", Db, file, "--encrypt", "--passphrase-file", Passphrase()).ExitCode);
        TestStores.Create(_dir.File("existing.skv"), 3, keyPrefix: "other:");
        var before = Content(_dir.File("existing.skv"));
        string wrong = Passphrase("wrong", "not it");

        var intoExisting = Cli.Run("restore", _dir.File("existing.skv"), file, "--mode", "replace", "--passphrase-file", wrong);
        var intoNew = Cli.Run("restore", _dir.File("new.skv"), file, "--passphrase-file", wrong);
        var verify = Cli.Run("verify", file, "--passphrase-file", wrong);
        var none = Cli.Run("restore", _dir.File("new.skv"), file);
        var noneVerify = Cli.Run("verify", file);

        Assert.Equal(1, intoExisting.ExitCode);
        Assert.Contains("wrong passphrase", intoExisting.Stderr);
        Assert.Equal(before, Content(_dir.File("existing.skv")));
        Assert.Equal(1, intoNew.ExitCode);
        Assert.False(File.Exists(_dir.File("new.skv")));
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("wrong passphrase", verify.Stdout + verify.Stderr);
        Assert.Equal(2, none.ExitCode);
        Assert.Contains("is encrypted: give --passphrase-file", none.Stderr);
        Assert.False(File.Exists(_dir.File("new.skv")));
        Assert.Equal(2, noneVerify.ExitCode);
    }

    [Fact]
    public void Encrypt_without_a_passphrase_and_conflicting_options_are_usage_errors()
    {
        TestStores.Create(Db, 3);
        Assert.Equal(2, Cli.Run("backup", Db, _dir.File("a.json"), "--gzip", "--zstd").ExitCode);
        Assert.Equal(2, Cli.Run("backup", Db, _dir.File("a.json"), "--passphrase-file", Passphrase()).ExitCode);
        Assert.Equal(2, Cli.Run("backup", Db, _dir.File("a.json"), "--encrypt", "--passphrase-file", _dir.File("missing")).ExitCode);
        Assert.Equal(2, Cli.Run("backup", Db, _dir.File("a.json"), "--encrypt", "--passphrase-file", Passphrase("empty", "\n")).ExitCode);
        if (Environment.GetEnvironmentVariable("SKV_PASSPHRASE") is null)
            Assert.Contains("--encrypt needs a passphrase", Cli.Run("backup", Db, _dir.File("a.json"), "--encrypt").Stderr);
        Assert.Empty(Directory.GetFiles(_dir.Path, "a.json*"));
        Assert.Equal(0, Cli.Run("backup", Db, _dir.File("full.json")).ExitCode);
        var keep = Cli.Run("backup", Db, _dir.File("a.json"), "--incremental", _dir.File("full.json"), "--timestamp", "--keep", "2");
        Assert.Equal(2, keep.ExitCode);
        Assert.Contains("--keep with --incremental", keep.Stderr);
        Assert.Equal(2, Cli.Run("backup", Db, _dir.File("a.json"), "--incremental", _dir.File("full.json"), "--prefix", "key:").ExitCode);
    }

    [Fact]
    public void Incremental_chain_restores_verifies_and_stops_at_until()
    {
        TestStores.Create(Db, 20);
        string full = _dir.File("w/full.json"), mon = _dir.File("w/mon.json"), tue = _dir.File("w/tue.json");
        Assert.Equal(0, Cli.Run("backup", Db, full).ExitCode);
        var atFull = Content(Db);
        using (var s = SkvStore.Open(Db)) { s.Put("key:0001", "changed"); s.Delete("key:0002"); s.Put("new:1", "x"); }
        var incremental = Cli.Run("backup", Db, mon, "--incremental", full, "--json");
        Assert.Equal(0, incremental.ExitCode);
        Assert.Equal(3, incremental.Json().GetProperty("records").GetInt64());
        var atMon = Content(Db);
        using (var s = SkvStore.Open(Db)) { s.Delete("new:1"); s.Put("new:2", "y"); }
        Assert.Equal(0, Cli.Run("backup", Db, tue, "--incremental", mon).ExitCode);

        var restore = Cli.Run("restore", _dir.File("r.skv"), full, mon, tue, "--mode", "replace", "--json");
        Assert.Equal(0, restore.ExitCode);
        Assert.Equal(Content(Db), Content(_dir.File("r.skv")));
        Assert.Equal(0, Cli.Run("verify", full, mon, tue, "--db", Db).ExitCode);
        Assert.Equal(1, Cli.Run("verify", full, mon, "--db", Db).ExitCode); // the store has moved on since mon

        string monTime = System.Text.Json.JsonDocument.Parse(File.ReadAllText(mon)).RootElement.GetProperty("created_at").GetString()!;
        var until = Cli.Run("restore", _dir.File("u.skv"), full, mon, tue, "--until", monTime);
        Assert.Equal(0, until.ExitCode);
        Assert.Equal(atMon, Content(_dir.File("u.skv")));
        string fullTime = System.Text.Json.JsonDocument.Parse(File.ReadAllText(full)).RootElement.GetProperty("created_at").GetString()!;
        Assert.Equal(0, Cli.Run("restore", _dir.File("f.skv"), full, mon, tue, "--until", fullTime).ExitCode);
        Assert.Equal(atFull, Content(_dir.File("f.skv")));
        Assert.Equal(2, Cli.Run("restore", _dir.File("x.skv"), full, mon, "--until", "yesterday").ExitCode);
    }

    [Fact]
    public void Wrong_base_broken_link_and_an_incremental_alone_are_refused()
    {
        TestStores.Create(Db, 10);
        string full = _dir.File("full.json"), other = _dir.File("other.json"), one = _dir.File("1.json"), two = _dir.File("2.json");
        Assert.Equal(0, Cli.Run("backup", Db, full).ExitCode);
        Assert.Equal(0, Cli.Run("backup", Db, other).ExitCode);
        using (var s = SkvStore.Open(Db)) s.Put("a", "1");
        Assert.Equal(0, Cli.Run("backup", Db, one, "--incremental", full).ExitCode);
        using (var s = SkvStore.Open(Db)) s.Put("b", "2");
        Assert.Equal(0, Cli.Run("backup", Db, two, "--incremental", one).ExitCode);
        TestStores.Create(_dir.File("t.skv"), 2, keyPrefix: "t:");
        var before = Content(_dir.File("t.skv"));

        var wrongBase = Cli.Run("restore", _dir.File("t.skv"), other, one, "--mode", "replace");
        var broken = Cli.Run("restore", _dir.File("t.skv"), full, two);
        var alone = Cli.Run("restore", _dir.File("t.skv"), two);
        var verifyBroken = Cli.Run("verify", full, two);

        Assert.Equal(1, wrongBase.ExitCode);
        Assert.Contains("broken chain", wrongBase.Stderr);
        Assert.Equal(1, broken.ExitCode);
        Assert.Contains("broken chain", broken.Stderr);
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("incremental backup", alone.Stderr);
        Assert.Equal(1, verifyBroken.ExitCode);
        Assert.Equal(before, Content(_dir.File("t.skv")));
    }
}
