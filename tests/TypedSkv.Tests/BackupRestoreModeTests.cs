namespace TypedSkv.Tests;

public sealed class BackupRestoreModeTests
{
    private static string MakeBackup(TempDir dir)
    {
        using var source = dir.OpenStore("source.skv");
        source.Put("a", "backup-a");
        source.Put("b", "backup-b");
        string path = dir.File("ab.json");
        source.Backup(path);
        return path;
    }

    private static SkvStore Existing(TempDir dir)
    {
        var store = dir.OpenStore("target.skv");
        store.Put("a", "old-a");
        store.Put("c", "old-c");
        return store;
    }

    [Fact]
    public void Merge_OverwritesBackupKeys_AndKeepsOthers()
    {
        using var dir = new TempDir();
        string path = MakeBackup(dir);
        using var store = Existing(dir);
        var result = store.Restore(path);
        Assert.Equal(RestoreMode.Merge, result.Mode);
        Assert.Equal("backup-a", store.GetString("a"));
        Assert.Equal("backup-b", store.GetString("b"));
        Assert.Equal("old-c", store.GetString("c"));
        Assert.Equal(3, store.Count);
    }

    [Fact]
    public void Replace_LeavesExactlyTheBackup()
    {
        using var dir = new TempDir();
        string path = MakeBackup(dir);
        using var store = Existing(dir);
        store.Restore(path, new RestoreOptions { Mode = RestoreMode.Replace });
        Assert.Equal(new Dictionary<string, string> { ["a"] = "backup-a", ["b"] = "backup-b" },
            store.Scan().ToDictionary(e => e.KeyString, e => e.GetValueString()));
        Assert.True(SkvBackup.Verify(path, store).Ok);
    }

    [Fact]
    public void Replace_WithAnEmptyBackup_EmptiesTheStore()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("empty.json", """{"version":"1.0","created_at":"2024-12-06T12:00:00Z","total_records":0,"records":[]}""");
        using var store = Existing(dir);
        store.Restore(path);
        Assert.Equal(2, store.Count);
        store.Restore(path, new RestoreOptions { Mode = RestoreMode.Replace });
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void DryRun_ValidatesEverything_AndWritesNothing()
    {
        using var dir = new TempDir();
        string path = MakeBackup(dir);
        using var store = Existing(dir);
        string before = StoreDigest.Of(store);
        long size = store.GetStats().FileSizeBytes;

        foreach (var mode in new[] { RestoreMode.Merge, RestoreMode.Replace })
        {
            var result = store.Restore(path, new RestoreOptions { Mode = mode, DryRun = true });
            Assert.True(result.DryRun);
            Assert.Equal(2, result.Records);
        }

        Assert.Equal(before, StoreDigest.Of(store));
        Assert.Equal(size, store.GetStats().FileSizeBytes);
    }

    [Fact]
    public void DryRun_WorksOnAReadOnlyStore_RealRestoreDoesNot()
    {
        using var dir = new TempDir();
        string path = MakeBackup(dir);
        string storePath;
        using (var store = Existing(dir)) storePath = store.FilePath;
        using var ro = SkvStore.OpenReadOnly(storePath);
        Assert.Equal(2, ro.Restore(path, new RestoreOptions { DryRun = true }).Records);
        Assert.Throws<SkvException>(() => ro.Restore(path));
    }

    [Fact]
    public void Restore_ReportsProgress()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("s.skv");
        for (int i = 0; i < 20_000; i++) source.Put($"k{i:D5}", "v");
        string path = dir.File("p.json");
        source.Backup(path);
        using var target = dir.OpenStore("t.skv");
        var seen = new List<SkvBackupProgress>();
        target.Restore(path, new RestoreOptions { Progress = new SyncProgress(seen) });
        Assert.Equal(new long[] { 8192, 16384, 20000 }, seen.Select(p => p.Records));
        Assert.All(seen, p => Assert.Equal(20_000, p.TotalRecords));
        Assert.Equal(new FileInfo(path).Length, seen[^1].Bytes);
    }

    private sealed class SyncProgress(List<SkvBackupProgress> seen) : IProgress<SkvBackupProgress>
    {
        public void Report(SkvBackupProgress value) => seen.Add(value);
    }
}
