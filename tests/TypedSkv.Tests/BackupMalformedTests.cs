using System.Text;

namespace TypedSkv.Tests;

/// <summary>Every class of malformed input fails with a clear error and leaves the store exactly as it was.</summary>
public sealed class BackupMalformedTests
{
    private const string Head = "{\"version\":\"1.0\",\"created_at\":\"2024-12-06T12:00:00Z\",\"total_records\":3,\"records\":[";
    private const string R0 = "{\"key\":\"new/a\",\"value\":\"A\",\"encoding\":\"text\"},";
    private const string R1 = "{\"key\":\"old/1\",\"value\":\"overwritten\",\"encoding\":\"text\"},";
    private const string R2 = "{\"key\":\"new/c\",\"value\":\"AQI=\",\"encoding\":\"base64\"}";
    private const string Valid = Head + R0 + R1 + R2 + "]}";

    /// <summary>The first two records are good (so the transaction holds writes when the bad part is found).</summary>
    private static string WithRecord2(string record2) => Head + R0 + R1 + record2 + "]}";

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Replaces the marker "\u0001" by a raw 0xFF byte (invalid UTF-8 inside a JSON string).</summary>
    private static byte[] WithInvalidUtf8(string s) =>
        Bytes(s).Select(b => b == 0x01 ? (byte)0xFF : b).ToArray();

    public static TheoryData<string, byte[], string, long?> Cases()
    {
        var d = new TheoryData<string, byte[], string, long?>
        {
            { "unknown major version", Bytes(Valid.Replace("\"1.0\"", "\"3.0\"")), "unsupported backup format version \"3.0\"", null },
            { "incremental version alone", Bytes(Valid.Replace("\"1.0\"", "\"2.0\"")), "this is an incremental backup", null },
            { "version not a number", Bytes(Valid.Replace("\"1.0\"", "\"one\"")), "not a version number", null },
            { "version of wrong type", Bytes(Valid.Replace("\"1.0\"", "1.0")), "\"version\" must be a string", null },
            { "missing version", Bytes(Valid.Replace("\"version\":\"1.0\",", "")), "missing \"version\"", null },
            { "total_records too high", Bytes(Valid.Replace("\"total_records\":3", "\"total_records\":4")), "\"total_records\" says 4 but the file holds 3 records", null },
            { "total_records too low", Bytes(Valid.Replace("\"total_records\":3", "\"total_records\":2")), "\"total_records\" says 2", null },
            { "total_records missing", Bytes(Valid.Replace("\"total_records\":3,", "")), "missing \"total_records\"", null },
            { "total_records a string", Bytes(Valid.Replace("\"total_records\":3", "\"total_records\":\"3\"")), "\"total_records\" must be a non-negative integer", null },
            { "total_records negative", Bytes(Valid.Replace("\"total_records\":3", "\"total_records\":-3")), "non-negative integer", null },
            { "bad checksum", Bytes(Valid[..^1] + ",\"checksum\":{\"algorithm\":\"xxh3-64\",\"value\":\"0123456789abcdef\"}}"), "checksum mismatch", null },
            { "checksum not an object", Bytes(Valid[..^1] + ",\"checksum\":\"abc\"}"), "\"checksum\" must be an object", null },
            { "bad base64", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"AQ@=\",\"encoding\":\"base64\"}")), "bad base64 in \"value\"", 2 },
            { "base64 without padding", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"AQI\",\"encoding\":\"base64\"}")), "bad base64", 2 },
            { "bad base64 key", Bytes(WithRecord2("{\"key\":\"%%\",\"key_encoding\":\"base64\",\"value\":\"x\",\"encoding\":\"text\"}")), "bad base64 in \"key\"", 2 },
            { "invalid UTF-8 in text value", WithInvalidUtf8(WithRecord2("{\"key\":\"new/c\",\"value\":\"ab\u0001cd\",\"encoding\":\"text\"}")), "invalid UTF-8 in text \"value\"", 2 },
            { "invalid UTF-8 in text key", WithInvalidUtf8(WithRecord2("{\"key\":\"k\u0001\",\"value\":\"v\",\"encoding\":\"text\"}")), "invalid UTF-8 in text \"key\"", 2 },
            { "lone surrogate escape", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"\\ud800x\",\"encoding\":\"text\"}")), "malformed JSON", 2 },
            { "unknown encoding", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"0102\",\"encoding\":\"hex\"}")), "unknown \"encoding\" \"hex\"", 2 },
            { "unknown key_encoding", Bytes(WithRecord2("{\"key\":\"new/c\",\"key_encoding\":\"rot13\",\"value\":\"x\",\"encoding\":\"text\"}")), "unknown \"key_encoding\" \"rot13\"", 2 },
            { "missing encoding", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"x\"}")), "missing \"encoding\"", 2 },
            { "missing key", Bytes(WithRecord2("{\"value\":\"x\",\"encoding\":\"text\"}")), "missing \"key\"", 2 },
            { "missing value", Bytes(WithRecord2("{\"key\":\"new/c\",\"encoding\":\"text\"}")), "missing \"value\"", 2 },
            { "value a number", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":5,\"encoding\":\"text\"}")), "\"value\" must be a string, not a number", 2 },
            { "value null", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":null,\"encoding\":\"text\"}")), "\"value\" must be a string, not null", 2 },
            { "key an object", Bytes(WithRecord2("{\"key\":{\"a\":1},\"value\":\"x\",\"encoding\":\"text\"}")), "\"key\" must be a string, not an object", 2 },
            { "encoding a boolean", Bytes(WithRecord2("{\"key\":\"new/c\",\"value\":\"x\",\"encoding\":true}")), "\"encoding\" must be a string", 2 },
            { "record a string", Bytes(WithRecord2("\"new/c\"")), "a record must be an object, not a string", 2 },
            { "empty key", Bytes(WithRecord2("{\"key\":\"\",\"value\":\"x\",\"encoding\":\"text\"}")), "keys must be 1 to 1024 bytes", 2 },
            { "key too long", Bytes(WithRecord2("{\"key\":\"" + new string('k', 1025) + "\",\"value\":\"x\",\"encoding\":\"text\"}")), "the key is 1025 bytes", 2 },
            { "records an object", Bytes("{\"version\":\"1.0\",\"total_records\":0,\"records\":{}}"), "\"records\" must be an array", null },
            { "no records", Bytes("{\"version\":\"1.0\",\"total_records\":0}"), "missing \"records\"", null },
            { "records twice", Bytes(Valid[..^1] + ",\"records\":[]}"), "\"records\" appears twice", null },
            { "not an object", Bytes("42"), "not a backup", null },
            { "trailing garbage", Bytes(Valid + "\n garbage"), "malformed JSON", null },
            { "second document", Bytes(Valid + "{}"), "malformed JSON", null },
            { "truncated inside record", Bytes(Valid[..(Head.Length + R0.Length + R1.Length + 20)]), "truncated", 2 },
            { "truncated after records", Bytes(Valid[..^1]), "truncated", null },
            { "truncated at a record boundary", Bytes(Head + R0 + R1), "truncated", 2 },
            { "empty file", [], "no JSON", null },
            { "missing comma", Bytes(Head + R0 + R1[..^1] + R2 + "]}"), "malformed JSON", 2 },
            { "comment", Bytes(Head + R0 + R1 + "/* c */" + R2 + "]}"), "malformed JSON", 2 },
            { "unquoted name", Bytes(WithRecord2("{key:\"new/c\",\"value\":\"x\",\"encoding\":\"text\"}")), "malformed JSON", 2 },
            { "legacy: element not an object", Bytes("[{\"key\":\"a\",\"value\":\"x\"},7]"), "a record must be an object, not a number", 1 },
            { "legacy: is_binary a string", Bytes("[{\"key\":\"a\",\"value\":\"x\",\"is_binary\":\"yes\"}]"), "\"is_binary\" must be true or false", 0 },
            { "gzip magic, corrupt data", [0x1F, 0x8B, 0x08, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08], "gzip", null },
        };
        return d;
    }

    private static SkvStore Seeded(TempDir dir)
    {
        var store = dir.OpenStore();
        store.Put("old/1", "one");
        store.Put("old/2", "two");
        store.Put(new byte[] { 0xFF, 0x00 }, new byte[] { 9, 8, 7 });
        return store;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_FailsClearly_AndLeavesTheStoreUnchanged(string name, byte[] content, string expected, long? recordIndex)
    {
        using var dir = new TempDir();
        string path = dir.WriteBytes("bad.json", content);
        using var store = Seeded(dir);
        string before = StoreDigest.Of(store);
        long fileBefore = store.GetStats().FileSizeBytes;

        foreach (var options in new[]
        {
            new RestoreOptions { Mode = RestoreMode.Merge },
            new RestoreOptions { Mode = RestoreMode.Replace },
            new RestoreOptions { Mode = RestoreMode.Replace, DryRun = true },
        })
        {
            var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path, options));
            Assert.True(ex.Message.Contains(expected), ex.Message);
            Assert.Contains(path, ex.Message);
            Assert.Equal(Path.GetFullPath(path), ex.FilePath);
            Assert.Equal(recordIndex, ex.RecordIndex);
            if (recordIndex is { } i) Assert.Contains($"record index {i} (0-based)", ex.Message);
            Assert.Equal(before, StoreDigest.Of(store));
            Assert.Equal(fileBefore, store.GetStats().FileSizeBytes);
        }

        // still writable, nothing left of the failed transaction
        store.Put("after", "ok");
        Assert.Equal("ok", store.GetString("after"));
        Assert.Equal("one", store.GetString("old/1"));
        Assert.False(store.ContainsKey("new/a"));

        // verify reports instead of throwing
        var report = SkvBackup.Verify(path);
        Assert.False(report.Ok, name);
        Assert.Contains(report.Problems, p => p.Message.Contains(expected) && p.RecordIndex == recordIndex);
    }

    [Fact]
    public void Failure_AfterThousandsOfRecords_RollsBack_AlsoAfterReopen()
    {
        using var dir = new TempDir();
        var sb = new StringBuilder("{\"version\":\"1.0\",\"total_records\":20001,\"records\":[");
        for (int i = 0; i < 20_000; i++)
            sb.Append($"{{\"key\":\"bulk/{i:D6}\",\"value\":\"{new string('v', 200)}\",\"encoding\":\"text\"}},");
        sb.Append("{\"key\":\"bad\",\"value\":\"not base64!\",\"encoding\":\"base64\"}]}");
        string path = dir.WriteText("big-bad.json", sb.ToString());
        string storePath;
        string before;
        using (var store = Seeded(dir))
        {
            storePath = store.FilePath;
            before = StoreDigest.Of(store);
            var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path, new RestoreOptions { Mode = RestoreMode.Replace }));
            Assert.Equal(20_000, ex.RecordIndex);
            Assert.Equal(before, StoreDigest.Of(store));
        }
        using var reopened = SkvStore.Open(storePath);
        Assert.Equal(before, StoreDigest.Of(reopened));
        Assert.Equal(3, reopened.Count);
    }
}

public sealed class BackupMalformedGzipAndOrderTests
{
    [Fact]
    public void TruncatedGzip_FailsClearly_AndLeavesTheStoreUnchanged()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("s.skv");
        var rng = new Random(5);
        for (int i = 0; i < 2000; i++)
        {
            byte[] v = new byte[100];
            rng.NextBytes(v);
            source.Put($"k{i:D5}", v);
        }
        string path = dir.File("b.json.gz");
        source.Backup(path);
        byte[] all = File.ReadAllBytes(path);
        File.WriteAllBytes(path, all[..(all.Length * 2 / 3)]);

        using var target = dir.OpenStore("t.skv");
        target.Put("keep", "me");
        string before = StoreDigest.Of(target);
        var ex = Assert.Throws<SkvBackupException>(() => target.Restore(path, new RestoreOptions { Mode = RestoreMode.Replace }));
        Assert.True(ex.Message.Contains("truncated") || ex.Message.Contains("gzip"), ex.Message);
        Assert.NotNull(ex.RecordIndex);
        Assert.Equal(before, StoreDigest.Of(target));
        Assert.False(SkvBackup.Verify(path).Ok);
    }

    [Fact]
    public void ChecksumBeforeRecords_IsStillChecked()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        store.Put("b", "2");
        string path = dir.File("b.json");
        var result = store.Backup(path, new BackupOptions { Indented = false });
        string json = File.ReadAllText(path);
        string checksum = $"\"checksum\":{{\"algorithm\":\"xxh3-64\",\"value\":\"{result.Checksum}\"}}";
        string moved = "{" + checksum + "," + json[1..].Replace("," + checksum, "");
        Assert.StartsWith("{\"checksum\"", moved);
        File.WriteAllText(path, moved);
        var report = SkvBackup.Verify(path);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.True(report.ChecksumValid);

        File.WriteAllText(path, moved.Replace("\"value\":\"2\"", "\"value\":\"3\""));
        Assert.False(SkvBackup.Verify(path).ChecksumValid);
        using var target = dir.OpenStore("t.skv");
        Assert.Contains("checksum mismatch", Assert.Throws<SkvBackupException>(() => target.Restore(path)).Message);
        Assert.Equal(0, target.Count);
    }
}
