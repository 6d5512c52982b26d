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
