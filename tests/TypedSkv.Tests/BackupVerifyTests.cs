using System.Text;
using System.Text.RegularExpressions;

namespace TypedSkv.Tests;

public sealed class BackupVerifyTests
{
    private static (TempDir Dir, SkvStore Store, string Path) Setup(int n = 100)
    {
        var dir = new TempDir();
        var store = dir.OpenStore();
        for (int i = 0; i < n; i++) store.Put($"k/{i:D3}", $"value {i}");
        store.Put("bin", new byte[] { 0xFF, 0xFE });
        string path = dir.File("b.json");
        store.Backup(path);
        return (dir, store, path);
    }

    [Fact]
    public void FreshBackup_Verifies_AloneAndAgainstItsStore()
    {
        var (dir, store, path) = Setup();
        using var _ = dir;
        using var __ = store;
        var report = SkvBackup.Verify(path, store);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal("1.0", report.Version);
        Assert.Equal("1.0", report.Format);
        Assert.Equal(101, report.Records);
        Assert.Equal(101, report.DeclaredRecords);
        Assert.Equal(100, report.TextRecords);
        Assert.Equal(1, report.Base64Records);
        Assert.True(report.HasChecksum);
        Assert.True(report.ChecksumValid);
        Assert.Equal(new FileInfo(path).Length, report.Bytes);
        Assert.Equal(new StoreComparison(0, 0, 0, 101), report.Comparison);
        Assert.Empty(report.Problems);
    }

    [Fact]
    public void DetectsChangedValue_MissingKey_AndExtraKey()
    {
        var (dir, store, path) = Setup();
        using var _ = dir;
        using var __ = store;
        // "bin" sorts first: record index of k/NNN is NNN + 1
        store.Put("k/005", "changed");
        store.Delete("k/010");
        store.Put("zzz/extra", "new");

        var report = SkvBackup.Verify(path, store);

        Assert.False(report.Ok);
        Assert.Equal(new StoreComparison(MissingInStore: 1, ExtraInStore: 1, DifferentValues: 1, Matching: 99), report.Comparison);
        Assert.Contains(report.Problems, p => p.RecordIndex == 6 && p.Key == "\"k/005\"" && p.Message.Contains("differs"));
        Assert.Contains(report.Problems, p => p.RecordIndex == 11 && p.Key == "\"k/010\"" && p.Message.Contains("missing in the store"));
        Assert.Contains(report.Problems, p => p.RecordIndex is null && p.Key == "\"zzz/extra\"" && p.Message.Contains("not in the backup"));
        Assert.Equal(3, report.Problems.Count);
        Assert.True(SkvBackup.Verify(path).Ok); // the file itself is fine
    }

    [Fact]
    public void DetectsBadChecksum()
    {
        var (dir, store, path) = Setup();
        using var _ = dir;
        using var __ = store;
        // change one value but keep the file well-formed: only the checksum can tell
        string json = File.ReadAllText(path).Replace("\"value 42\"", "\"value 24\"");
        File.WriteAllText(path, json);

        var report = SkvBackup.Verify(path);

        Assert.False(report.Ok);
        Assert.True(report.HasChecksum);
        Assert.False(report.ChecksumValid);
        Assert.Contains(report.Problems, p => p.RecordIndex is null && p.Message.Contains("checksum mismatch"));
        Assert.Throws<SkvBackupException>(() => store.Restore(path));
    }

    [Fact]
    public void UnknownChecksumAlgorithm_IsNotChecked()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("x.json", """{"version":"1.0","total_records":0,"records":[],"checksum":{"algorithm":"sha3-512","value":"00"}}""");
        var report = SkvBackup.Verify(path);
        Assert.True(report.Ok);
        Assert.True(report.HasChecksum);
        Assert.Null(report.ChecksumValid);
    }

    [Fact]
    public void DetectsCountMismatch()
    {
        var (dir, store, path) = Setup();
        using var _ = dir;
        using var __ = store;
        File.WriteAllText(path, Regex.Replace(File.ReadAllText(path), "\"total_records\": *101", "\"total_records\": 7"));
        var report = SkvBackup.Verify(path);
        Assert.False(report.Ok);
        Assert.Equal(7, report.DeclaredRecords);
        Assert.Equal(101, report.Records);
        Assert.Contains(report.Problems, p => p.Message.Contains("\"total_records\" says 7 but the file holds 101 records"));
    }

    [Fact]
    public void ListsEveryBadRecord_AndGoesOn()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("x.json", """
            {"version":"1.0","total_records":5,"records":[
              {"key":"a","value":"ok","encoding":"text"},
              {"key":"b","value":"@@","encoding":"base64"},
              {"key":"c","value":"ok","encoding":"text"},
              {"key":"d","value":"x","encoding":"zip"},
              {"key":"a","value":"again","encoding":"text"}]}
            """);
        var report = SkvBackup.Verify(path);
        Assert.False(report.Ok);
        Assert.Equal(5, report.Records);
        Assert.Equal(3, report.ProblemCount);
        Assert.Collection(report.Problems,
            p => { Assert.Equal(1, p.RecordIndex); Assert.Contains("bad base64", p.Message); },
            p => { Assert.Equal(3, p.RecordIndex); Assert.Contains("unknown \"encoding\" \"zip\"", p.Message); },
            p => { Assert.Equal(4, p.RecordIndex); Assert.Contains("duplicate", p.Message); });
        Assert.Equal(1, report.DuplicateKeys);
    }

    [Fact]
    public void StructuralDamage_IsReported_NotThrown()
    {
        var (dir, store, path) = Setup();
        using var _ = dir;
        using var __ = store;
        byte[] all = File.ReadAllBytes(path);
        File.WriteAllBytes(path, all[..(all.Length / 2)]);
        var report = SkvBackup.Verify(path, store);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Message.Contains("truncated") && p.RecordIndex > 0);
        Assert.Null(report.Comparison); // no comparison from half a file
    }

    [Fact]
    public void MaxProblems_CapsTheList_NotTheCount()
    {
        using var dir = new TempDir();
        var sb = new StringBuilder("{\"version\":\"1.0\",\"total_records\":50,\"records\":[");
        for (int i = 0; i < 50; i++) sb.Append(i == 0 ? "" : ",").Append($"{{\"key\":\"k{i}\",\"value\":\"!\",\"encoding\":\"base64\"}}");
        sb.Append("]}");
        string path = dir.WriteText("x.json", sb.ToString());
        var report = SkvBackup.Verify(path, new VerifyOptions { MaxProblems = 10 });
        Assert.Equal(10, report.Problems.Count);
        Assert.Equal(50, report.ProblemCount);
    }

    [Fact]
    public void MissingFile_Throws()
    {
        using var dir = new TempDir();
        Assert.Throws<FileNotFoundException>(() => SkvBackup.Verify(dir.File("nope.json")));
        using var store = dir.OpenStore();
        Assert.Throws<FileNotFoundException>(() => store.Restore(dir.File("nope.json")));
    }
}

public sealed class BackupChecksumDefinitionTests
{
    /// <summary>Recomputes the checksum exactly as docs/backup-format.md defines it, independently of the writer.</summary>
    [Fact]
    public void Checksum_IsXxh3OverLengthPrefixedDecodedRecords_AsDocumented()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "text é");
        store.Put(new byte[] { 0xFF }, new byte[] { 0, 1, 0xFE });
        store.Put("empty", ReadOnlySpan<byte>.Empty);
        string path = dir.File("c.json");
        var result = store.Backup(path);

        var canonical = new List<byte>();
        foreach (var e in store.Scan())
        {
            byte[] v = e.GetValue();
            canonical.AddRange(BitConverter.GetBytes((uint)e.Key.Length)); // little-endian on every supported platform
            canonical.AddRange(e.Key.ToArray());
            canonical.AddRange(BitConverter.GetBytes((uint)v.Length));
            canonical.AddRange(v);
        }
        string expected = System.IO.Hashing.XxHash3.HashToUInt64(canonical.ToArray()).ToString("x16");

        Assert.Equal(expected, result.Checksum);
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        var checksum = doc.RootElement.GetProperty("checksum");
        Assert.Equal("xxh3-64", checksum.GetProperty("algorithm").GetString());
        Assert.Equal(expected, checksum.GetProperty("value").GetString());
    }

    [Fact]
    public void EmptyBackup_HasTheChecksumOfEmptyInput()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var result = store.Backup(dir.File("e.json"));
        Assert.Equal(0, result.Records);
        Assert.Equal("2d06800538d394c2", result.Checksum);
        Assert.True(SkvBackup.Verify(result.Path).Ok);
    }

    [Fact]
    public void UppercaseChecksumHex_IsAccepted()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("k", "v");
        string path = dir.File("u.json");
        var result = store.Backup(path);
        File.WriteAllText(path, File.ReadAllText(path).Replace(result.Checksum!, result.Checksum!.ToUpperInvariant()));
        var report = SkvBackup.Verify(path);
        Assert.True(report.Ok);
        Assert.True(report.ChecksumValid);
    }
}
