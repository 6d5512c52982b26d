using System.Text;

namespace TypedSkv.Tests;

/// <summary>zstd backups: written for ".zst" or Zstd = true, recognised by magic when read, damage reported as zstd's.</summary>
public sealed class BackupZstdTests
{
    private static void Fill(SkvStore store)
    {
        for (int i = 0; i < 5000; i++) store.Put($"user:{i:D5}", $"{{\"name\":\"user {i}\",\"score\":{i * 7 % 1000}}}");
        store.Put(new byte[] { 0xFF, 0 }, new byte[] { 1, 2, 3 });
    }

    [Fact]
    public void RoundTrip_ByExtension_AndByOption_DetectedByMagicWhateverTheName()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        Fill(source);
        string byName = dir.File("b.json.zst"), byOption = dir.File("b.json"), plain = dir.File("plain.json");

        source.Backup(byName);
        source.Backup(byOption, new BackupOptions { Zstd = true });
        source.Backup(plain);

        foreach (string path in new[] { byName, byOption })
        {
            byte[] head = File.ReadAllBytes(path)[..4];
            Assert.Equal(new byte[] { 0x28, 0xB5, 0x2F, 0xFD }, head);
            Assert.True(new FileInfo(path).Length < new FileInfo(plain).Length / 4);
            using var target = dir.OpenStore(Path.GetFileName(path) + ".skv");
            Assert.Equal(source.Count, target.Restore(path).Records);
            Assert.Equal(StoreDigest.Dump(source), StoreDigest.Dump(target));
            var report = SkvBackup.Verify(path, target);
            Assert.True(report.Ok, report.ToString());
            Assert.Equal("zstd", report.Compression);
        }
    }

    [Fact]
    public void GzipAndZstd_Together_AreRefused()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        Assert.Throws<ArgumentException>(() => store.Backup(dir.File("b.json"), new BackupOptions { Gzip = true, Zstd = true }));
        // an explicit choice wins over the name
        store.Backup(dir.File("b.json.zst"), new BackupOptions { Gzip = true });
        Assert.Equal(0x1F, File.ReadAllBytes(dir.File("b.json.zst"))[0]);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void CorruptZstd_IsReportedAsZstd_AndTheStoreStaysUnchanged()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        Fill(source);
        string path = dir.File("b.json.zst");
        source.Backup(path);
        byte[] bytes = File.ReadAllBytes(path);
        using var target = dir.OpenStore("b.skv");
        target.Put("keep", "me");
        string before = StoreDigest.Of(target);

        byte[] corrupt = (byte[])bytes.Clone();
        for (int i = 40; i < 80; i++) corrupt[i] ^= 0x5A;
        File.WriteAllBytes(dir.File("corrupt.json.zst"), corrupt);
        var ex = Assert.Throws<SkvBackupException>(() => target.Restore(dir.File("corrupt.json.zst"), new RestoreOptions { Mode = RestoreMode.Replace }));
        Assert.Contains("zstd", ex.Message);
        Assert.False(SkvBackup.Verify(dir.File("corrupt.json.zst")).Ok);

        File.WriteAllBytes(dir.File("cut.json.zst"), bytes[..(bytes.Length / 2)]);
        var cut = Assert.Throws<SkvBackupException>(() => target.Restore(dir.File("cut.json.zst"), new RestoreOptions { Mode = RestoreMode.Replace }));
        Assert.Contains("truncated", cut.Message);
        Assert.Equal(before, StoreDigest.Of(target));
    }
}
