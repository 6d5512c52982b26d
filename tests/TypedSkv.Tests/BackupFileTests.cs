namespace TypedSkv.Tests;

/// <summary>Temp file + rename, failure cleanup, timestamped names and pruning.</summary>
public sealed class BackupFileTests
{
    [Fact]
    public void MissingTargetDirectory_FailsClearly_AndLeavesNoFile()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        string target = Path.Combine(dir.Path, "no-such-dir", "b.json");
        var ex = Assert.Throws<DirectoryNotFoundException>(() => store.Backup(target));
        Assert.Contains("no-such-dir", ex.Message);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, "no-such-dir")));
        Assert.Equal(new[] { "store.skv", "store.skv.lock" }.Order(), Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order()!);
    }

    [Fact]
    public void FailureDuringBackup_RemovesTheTempFile_AndKeepsThePreviousBackup()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        for (int i = 0; i < 10_000; i++) store.Put($"k{i:D5}", "v");
        string path = dir.File("b.json");
        store.Backup(path);
        byte[] previous = File.ReadAllBytes(path);
        store.Put("new", "after the first backup");

        var failing = new ThrowingProgress();
        Assert.Throws<IOException>(() => store.Backup(path, new BackupOptions { Progress = failing }));

        Assert.Equal(previous, File.ReadAllBytes(path));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    private sealed class ThrowingProgress : IProgress<SkvBackupProgress>
    {
        public void Report(SkvBackupProgress value) => throw new IOException("disk full (simulated)");
    }

    [Fact]
    public void Backup_ReplacesAnExistingFile_AndLeavesNoTemp()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        string path = dir.File("b.json");
        File.WriteAllText(path, "old content");
        store.Put("a", "1");
        store.Backup(path);
        Assert.True(SkvBackup.Verify(path).Ok);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Theory]
    [InlineData("backups/app.json", "backups/app_20261125T120000Z.json")]
    [InlineData("backups/app.json.gz", "backups/app_20261125T120000Z.json.gz")]
    [InlineData("backups/app.json.zst", "backups/app_20261125T120000Z.json.zst")]
    [InlineData("app", "app_20261125T120000Z")]
    [InlineData("data.v2.json", "data.v2_20261125T120000Z.json")]
    public void TimestampedPath_InsertsASortableUtcStamp(string path, string expected)
    {
        var now = new DateTimeOffset(2026, 11, 25, 13, 0, 0, TimeSpan.FromHours(1));
        Assert.Equal(expected.Replace('/', Path.DirectorySeparatorChar), SkvBackup.TimestampedPath(path, now));
    }

    [Fact]
    public void PruneBackups_KeepsTheNewestN_AndTouchesNothingElse()
    {
        using var dir = new TempDir();
        string basePath = dir.File("app.json");
        var stamps = new[] { 5, 1, 4, 2, 3 }.Select(d => new DateTimeOffset(2026, 1, d, 0, 0, 0, TimeSpan.Zero)).ToArray();
        foreach (var t in stamps) File.WriteAllText(SkvBackup.TimestampedPath(basePath, t), "{}");
        // app_...json.gz is the same set (one base name in any format) and the oldest: it goes too
        File.WriteAllText(dir.File("app_20251231T000000Z.json.gz"), "{}");
        string[] unrelated = ["app.json", "app_notes.json", "other_20250101T000000Z.json", "app_20250101T000000Z.json.tmp-abc", "app_20990101T000000Z.json"];
        foreach (string u in unrelated) File.WriteAllText(dir.File(u), "x");

        var deleted = SkvBackup.PruneBackups(basePath, keep: 2);

        Assert.Equal(
            new[] { 3, 2, 1 }.Select(d => SkvBackup.TimestampedPath(basePath, new DateTimeOffset(2026, 1, d, 0, 0, 0, TimeSpan.Zero)))
                .Append(dir.File("app_20251231T000000Z.json.gz")),
            deleted);
        Assert.True(File.Exists(SkvBackup.TimestampedPath(basePath, stamps[0])));
        Assert.True(File.Exists(SkvBackup.TimestampedPath(basePath, stamps[2])));
        Assert.All(unrelated, u => Assert.True(File.Exists(dir.File(u)), u));
        Assert.Empty(SkvBackup.PruneBackups(basePath, keep: 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => SkvBackup.PruneBackups(basePath, -1));
    }

    [Fact]
    public void TimestampedBackups_RoundTrip_WithBackupAndPrune()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        string basePath = dir.File("daily.json.gz");
        for (int day = 1; day <= 4; day++)
            store.Backup(SkvBackup.TimestampedPath(basePath, new DateTimeOffset(2026, 3, day, 0, 0, 0, TimeSpan.Zero)));
        Assert.Equal(2, SkvBackup.PruneBackups(basePath, 2).Count);
        var left = Directory.GetFiles(dir.Path, "daily_*.json.gz").Order().ToArray();
        Assert.Equal(2, left.Length);
        Assert.EndsWith("daily_20260304T000000Z.json.gz", left[1]);
        Assert.True(SkvBackup.Verify(left[1], store).Ok);
    }
}
