namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>Issue 13's "no way to lose a store" items, through the installed tool.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolSafetyTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    [Fact]
    public void Backup_onto_the_store_through_a_symlinked_directory_is_refused_and_the_store_stays()
    {
        Directory.CreateDirectory(_dir.File("real"));
        Directory.CreateSymbolicLink(_dir.File("alias"), _dir.File("real"));
        TestStores.Create(_dir.File("real/db.skv"), 10);
        byte[] before = File.ReadAllBytes(_dir.File("real/db.skv"));

        var data = Skv("backup", "real/db.skv", "alias/db.skv");
        var lockFile = Skv("backup", "real/db.skv", "alias/db.skv.lock");

        Assert.Equal(2, data.ExitCode);
        Assert.Contains("store's own file", data.Stderr);
        Assert.Equal(2, lockFile.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(_dir.File("real/db.skv")));
        Assert.Equal(0, Skv("check", "real/db.skv").ExitCode);
    }

    [Fact]
    public void Backup_onto_a_hard_link_of_the_store_is_refused()
    {
        TestStores.Create(_dir.File("db.skv"), 3);
        Assert.Equal(0, ProcessRunner.Run("ln", [_dir.File("db.skv"), _dir.File("link.json")], _dir.Path).ExitCode);

        var result = Skv("backup", "db.skv", "link.json");

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(0, Skv("check", "db.skv").ExitCode);
    }
}

/// <summary>Issue 13 items 3, 4 and 10: --keep and damaged stores, through the installed tool.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolKeepTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    [Fact]
    public void Keep_never_deletes_the_backup_just_written_even_with_a_future_stamped_file_beside_it()
    {
        TestStores.Create(_dir.File("app.skv"), 3);
        Directory.CreateDirectory(_dir.File("bk"));
        File.WriteAllText(_dir.File("bk/app_20990101T000000Z.json"), "{}");
        File.WriteAllText(_dir.File("bk/app_20200101T000000Z.json"), "{}");

        var r = Skv("backup", "app.skv", "bk/app.json", "--timestamp", "--keep", "1", "--json");

        Assert.Equal(0, r.ExitCode);
        string written = r.Json().GetProperty("file").GetString()!;
        Assert.True(File.Exists(written), "the backup just written was deleted");
        Assert.Equal(0, Skv("verify", written).ExitCode);
        Assert.True(File.Exists(_dir.File("bk/app_20990101T000000Z.json")), "a backup newer than this one is not this run's to delete");
        Assert.False(File.Exists(_dir.File("bk/app_20200101T000000Z.json")));
        Assert.Contains("warning: ", r.Stderr);
        Assert.Contains(r.Json().GetProperty("warnings").EnumerateArray(), w => w.GetProperty("kind").GetString() == "backups-newer");
    }

    [Fact]
    public void A_store_whose_committing_tail_was_cut_off_warns_everywhere_and_keep_prunes_nothing()
    {
        // one restore = one transaction: cutting its last bytes drops the commit, and with it every record
        TestStores.Create(_dir.File("src.skv"), 300);
        Assert.Equal(0, Skv("backup", "src.skv", "full.json").ExitCode);
        Assert.Equal(0, Skv("restore", "app.skv", "full.json").ExitCode);
        Directory.CreateDirectory(_dir.File("bk"));
        Assert.Equal(0, Skv("backup", "app.skv", "bk/app.json", "--timestamp").ExitCode);
        Assert.Equal(0, Skv("backup", "app.skv", "bk/app.json", "--timestamp").ExitCode);
        string[] good = Directory.GetFiles(_dir.File("bk"));
        Assert.Equal(2, good.Length);
        using (var f = new FileStream(_dir.File("app.skv"), FileMode.Open)) f.SetLength(f.Length - 7);

        var info = Skv("info", "app.skv", "--json");
        var backup = Skv("backup", "app.skv", "bk/app.json", "--timestamp", "--keep", "1", "--json");
        var put = Skv("put", "app.skv", "k", "v", "--json");

        Assert.Equal(0, info.ExitCode);
        Assert.StartsWith("warning: ", info.Stderr);
        var warning = Assert.Single(info.Json().GetProperty("warnings").EnumerateArray());
        Assert.Equal("torn-tail", warning.GetProperty("kind").GetString());
        Assert.Equal(300, warning.GetProperty("records").GetInt64());
        Assert.True(warning.GetProperty("bytes").GetInt64() > 10_000);
        Assert.Equal(0, backup.ExitCode);
        Assert.Empty(backup.Json().GetProperty("pruned").EnumerateArray());
        Assert.All(good, g => Assert.True(File.Exists(g), g));
        Assert.Contains("no old backup was deleted", backup.Stderr);
        Assert.Equal(0, put.ExitCode);
        Assert.Contains("cut off", put.Stderr);
        Assert.Equal("repaired", Assert.Single(put.Json().GetProperty("warnings").EnumerateArray()).GetProperty("kind").GetString());
    }

    [Fact]
    public void Keep_counts_json_and_json_gz_backups_as_one_set()
    {
        TestStores.Create(_dir.File("app.skv"), 3);
        Directory.CreateDirectory(_dir.File("bk"));
        foreach (string name in new[] { "app_20200101T000000Z.json", "app_20210101T000000Z.json.gz", "app_20220101T000000Z.json" })
            File.WriteAllText(_dir.File(Path.Combine("bk", name)), "{}");

        var r = Skv("backup", "app.skv", "bk/app.json", "--gzip", "--timestamp", "--keep", "2", "--json");

        Assert.Equal(0, r.ExitCode);
        var pruned = r.Json().GetProperty("pruned").EnumerateArray().Select(p => Path.GetFileName(p.GetString()!)).Order().ToArray();
        Assert.Equal(["app_20200101T000000Z.json", "app_20210101T000000Z.json.gz"], pruned);
        Assert.True(File.Exists(_dir.File("bk/app_20220101T000000Z.json")));
    }
}

/// <summary>Issue 13 item 10: backup files are no more readable than the store.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolPermissionTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_600_store_gives_600_backups_plain_gzipped_and_timestamped()
    {
        if (OperatingSystem.IsWindows()) return; // Unix permission bits
        string db = _dir.File("secret.skv");
        TestStores.Create(db, 3);
        File.SetUnixFileMode(db, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        foreach (var args in new[] { new[] { "b.json" }, ["b.json.gz"], ["bk.json", "--timestamp"] })
        {
            var r = tool.Skv(_dir.Path, ["backup", "secret.skv", .. args, "--json"]);
            Assert.Equal(0, r.ExitCode);
            string written = r.Json().GetProperty("file").GetString()!;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(written));
        }
    }
}
