using System.Text;

namespace TypedSkv.Tests;

/// <summary>
/// Issue 13 item 12: the legacy array honours "encoding" and "key_encoding" (what `jq .records backup.json` gives),
/// base64 is strict (no whitespace, canonical padding), and a header member given twice cannot replace a failing first one.
/// </summary>
public sealed class BackupStrictInputTests
{
    private const string Head = "{\"version\":\"1.0\",\"created_at\":\"2024-12-06T12:00:00Z\",\"total_records\":1,\"records\":[";

    private static string Record(string value) => "{\"key\":\"k\",\"value\":\"" + value + "\",\"encoding\":\"base64\"}";

    [Fact]
    public void LegacyArray_WithEncodingFields_DecodesBase64KeysAndValues()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("records.json", """
            [
              {"key": "k", "value": "AQID", "encoding": "base64"},
              {"key": "t", "value": "AQID", "encoding": "text"},
              {"key": "/wE=", "key_encoding": "base64", "value": "x", "encoding": "text"},
              {"key": "go", "value": "old style", "value_b64": "", "is_binary": false}
            ]
            """);
        using var store = dir.OpenStore();

        var result = store.Restore(path);

        Assert.Equal("legacy-array", result.Format);
        Assert.Equal(new byte[] { 1, 2, 3 }, store.Get("k"));
        Assert.Equal("AQID", store.GetString("t"));
        Assert.Equal("x", Encoding.UTF8.GetString(store.Get(new byte[] { 0xFF, 0x01 })));
        Assert.Equal("old style", store.GetString("go"));
        var report = SkvBackup.Verify(path, store);
        Assert.True(report.Ok, report.ToString());
        Assert.Equal(1, report.Base64Records); // k
        Assert.Equal(3, report.TextRecords);   // t, /wE= and go
    }

    [Theory]
    [InlineData("[{\"key\":\"k\",\"value\":\"AQ@D\",\"encoding\":\"base64\"}]", "bad base64 in \"value\"")]
    [InlineData("[{\"key\":\"k\",\"value\":\"AQID\",\"encoding\":\"hex\"}]", "unknown \"encoding\" \"hex\"")]
    [InlineData("[{\"key\":\"k\",\"value\":\"AQID\",\"encoding\":\"text\",\"is_binary\":true,\"value_b64\":\"AQID\"}]", "both \"encoding\" and \"is_binary\"")]
    public void LegacyArray_WithEncodingFields_RejectsWhatTheDocumentFormatRejects(string content, string expected)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("records.json", content);
        using var store = dir.OpenStore();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Contains(expected, ex.Message);
        Assert.Equal(0, store.Count);
        Assert.False(SkvBackup.Verify(path).Ok);
    }

    [Theory]
    [InlineData("AQ I=")]       // a space
    [InlineData("AQI=\\n")]     // a newline (as a JSON escape)
    [InlineData("\\tAQI=")]     // a tab
    [InlineData("AQ\\r\\nI=")]  // CR LF, as MIME base64 wraps lines
    [InlineData("AQJ=")]        // non-canonical: the unused bits of the last group are not zero
    [InlineData("AQ==AQ==")]    // padding in the middle
    public void Base64_IsStrict(string value)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("b.json", Head + Record(value) + "]}");
        using var store = dir.OpenStore();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Contains("bad base64 in \"value\"", ex.Message);
        Assert.Equal(0, store.Count);
        Assert.False(SkvBackup.Verify(path).Ok);
    }

    [Fact]
    public void Base64_Canonical_IsAccepted()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("b.json", Head + Record("AQI=") + "]}");
        using var store = dir.OpenStore();
        store.Restore(path);
        Assert.Equal(new byte[] { 1, 2 }, store.Get("k"));
    }

    [Fact]
    public void ASecondChecksum_DoesNotOverrideAFailingFirstOne()
    {
        using var dir = new TempDir();
        using (var source = dir.OpenStore("a.skv"))
        {
            source.Put("k", "v");
            source.Backup(dir.File("good.json"), new BackupOptions { Indented = false });
        }
        string good = File.ReadAllText(dir.File("good.json"));
        string tampered = good.Replace("\"value\":\"v\"", "\"value\":\"w\"");
        // the tampered file's own checksum fails; a second, matching checksum of the tampered records is appended
        string forged = tampered[..^1] + ",\"checksum\":{\"algorithm\":\"xxh3-64\",\"value\":\"" + ChecksumOf("k", "w") + "\"}}";
        string path = dir.WriteText("forged.json", forged);
        using var store = dir.OpenStore("b.skv");

        Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Equal(0, store.Count);
        var report = SkvBackup.Verify(path);
        Assert.False(report.Ok);
        Assert.Contains(report.Problems, p => p.Message.Contains("checksum mismatch"));
        Assert.Contains(report.Problems, p => p.Message.Contains("\"checksum\" appears twice"));
    }

    [Theory]
    [InlineData("\"total_records\":1", "\"total_records\":2,\"total_records\":1", "\"total_records\" appears twice")]
    [InlineData("\"created_at\":\"2024-12-06T12:00:00Z\"", "\"created_at\":\"2024-12-06T12:00:00Z\",\"created_at\":\"2025-01-01T00:00:00Z\"", "\"created_at\" appears twice")]
    [InlineData("\"version\":\"1.0\"", "\"version\":\"1.0\",\"version\":\"1.1\"", "\"version\" appears twice")]
    public void HeaderMembers_GivenTwice_AreAProblem(string original, string doubled, string expected)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("b.json", (Head + Record("AQI=") + "]}").Replace(original, doubled));
        using var store = dir.OpenStore();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Contains(expected, ex.Message);
        Assert.Equal(0, store.Count);
    }

    private static string ChecksumOf(string key, string value)
    {
        var h = new TypedSkv.Backup.RecordsChecksum();
        h.Add(Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));
        return h.Hex;
    }
}
