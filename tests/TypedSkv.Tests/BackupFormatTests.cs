using System.Text;

namespace TypedSkv.Tests;

/// <summary>Files written by hand or by other implementations restore.</summary>
public sealed class BackupFormatTests
{
    private const string SeedDocument = """
        {
            "version": "1.0",
            "created_at": "2024-12-06T12:00:00Z",
            "total_records": 2,
            "records": [
                {
                    "key": "username",
                    "value": "alice",
                    "encoding": "text"
                },
                {
                    "key": "binary_data",
                    "value": "AQIDBA==",
                    "encoding": "base64"
                }
            ]
        }
        """;

    [Fact]
    public void SeedDocument_ExactShape_Restores()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("seed.json", SeedDocument);
        using var store = dir.OpenStore();

        var result = store.Restore(path);

        Assert.Equal(2, result.Records);
        Assert.Equal("1.0", result.Format);
        Assert.Equal("alice", store.GetString("username"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, store.Get("binary_data"));
        Assert.Equal(2, store.Count);
        var report = SkvBackup.Verify(path, store);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.False(report.HasChecksum);
        Assert.Null(report.ChecksumValid);
        Assert.Equal(new DateTimeOffset(2024, 12, 6, 12, 0, 0, TimeSpan.Zero), report.CreatedAt);
        Assert.Equal(1, report.TextRecords);
        Assert.Equal(1, report.Base64Records);
    }

    [Fact]
    public void ReorderedFields_UnknownFields_AndOddWhitespace_Restore()
    {
        const string doc = "\t\r\n {\"records\" :\n[ {\"encoding\":\"base64\",\"extra\":{\"nested\":[1,{\"a\":null},[true,false]]},\"value\":\"/w==\",\"key\":\"b\"} ,\n" +
            "{ \"value\" : \"x\\u00e9\\ud83d\\ude00\\n\" , \"note\": [] , \"key\" : \"t\\/1\", \"encoding\" : \"text\" } ] ,\r\n" +
            " \"comment\": \"unknown root field\", \"meta\": {\"records\": [1,2,3], \"version\": \"9.0\"},\n" +
            " \"total_records\" : 2 , \"created_at\":\"2024-12-06T12:00:00.123456789Z\", \"version\" : \"1.0\" }  \n\n";
        using var dir = new TempDir();
        string path = dir.WriteText("reordered.json", doc);
        using var store = dir.OpenStore();

        store.Restore(path);

        Assert.Equal(new byte[] { 0xFF }, store.Get("b"));
        Assert.Equal("xé😀\n", store.GetString("t/1"));
        Assert.Equal(2, store.Count);
        Assert.True(SkvBackup.Verify(path).Ok);
    }

    [Theory]
    [InlineData("2024-12-06T12:00:00Z", "2024-12-06T12:00:00.0000000+00:00")]
    [InlineData("2024-12-06T12:00:00.5Z", "2024-12-06T12:00:00.5000000+00:00")]
    [InlineData("2024-12-06T12:00:00.123Z", "2024-12-06T12:00:00.1230000+00:00")]
    [InlineData("2024-12-06T12:00:00.123456789Z", "2024-12-06T12:00:00.1234567+00:00")]
    [InlineData("2024-12-06T14:00:00+02:00", "2024-12-06T12:00:00.0000000+00:00")]
    [InlineData("2024-12-06T06:30:00.25-05:30", "2024-12-06T12:00:00.2500000+00:00")]
    [InlineData("2024-12-06t12:00:00z", "2024-12-06T12:00:00.0000000+00:00")]
    public void CreatedAt_Variants_Restore(string createdAt, string expectedUtc)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("c.json", SeedDocument.Replace("2024-12-06T12:00:00Z", createdAt));
        using var store = dir.OpenStore();
        store.Restore(path);
        Assert.Equal("alice", store.GetString("username"));
        var report = SkvBackup.Verify(path);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal(DateTimeOffset.Parse(expectedUtc, System.Globalization.CultureInfo.InvariantCulture), report.CreatedAt);
    }

    [Fact]
    public void BadCreatedAt_IsAProblem()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("c.json", SeedDocument.Replace("2024-12-06T12:00:00Z", "yesterday"));
        using var store = dir.OpenStore();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Contains("created_at", ex.Message);
        Assert.Equal(0, store.Count);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("1.7")]
    [InlineData("1")]
    [InlineData("1.2.3")]
    public void MinorVersions_AreAccepted(string version)
    {
        using var dir = new TempDir();
        string path = dir.WriteText("v.json", SeedDocument.Replace("\"1.0\"", $"\"{version}\""));
        using var store = dir.OpenStore();
        Assert.Equal(version, store.Restore(path).Format);
        Assert.Equal(2, store.Count);
    }

    [Fact]
    public void LegacyGoArray_Restores()
    {
        const string legacy = """
            [
              {"key": "user:1", "value": "alice", "value_b64": "", "is_binary": false},
              {"key": "blob", "value": "", "value_b64": "AAEC/w==", "is_binary": true},
              {"key": "only_b64", "value_b64": "aGk="},
              {"key": "plain", "value": "no flags"}
            ]
            """;
        using var dir = new TempDir();
        string path = dir.WriteText("legacy.json", legacy);
        using var store = dir.OpenStore();

        var result = store.Restore(path);

        Assert.Equal("legacy-array", result.Format);
        Assert.Equal(4, result.Records);
        Assert.Equal("alice", store.GetString("user:1"));
        Assert.Equal(new byte[] { 0, 1, 2, 0xFF }, store.Get("blob"));
        Assert.Equal("hi", store.GetString("only_b64"));
        Assert.Equal("no flags", store.GetString("plain"));
        var report = SkvBackup.Verify(path, store);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal("legacy-array", report.Format);
        Assert.Equal(4, report.Comparison!.Matching);
    }

    [Fact]
    public void LegacyGoArray_BadBase64_Fails()
    {
        using var dir = new TempDir();
        string path = dir.WriteText("legacy.json", """[{"key":"a","value":"x"},{"key":"b","value_b64":"!!","is_binary":true}]""");
        using var store = dir.OpenStore();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path));
        Assert.Equal(1, ex.RecordIndex);
        Assert.Contains("value_b64", ex.Message);
        Assert.Equal(0, store.Count);
    }

    [Fact]
    public void DuplicateKeys_LastWins_AndVerifyReportsThem()
    {
        const string doc = """
            {"version":"1.0","total_records":3,"records":[
              {"key":"k","value":"first","encoding":"text"},
              {"key":"other","value":"o","encoding":"text"},
              {"key":"k","value":"last","encoding":"text"}]}
            """;
        using var dir = new TempDir();
        string path = dir.WriteText("dup.json", doc);
        using var store = dir.OpenStore();
        store.Restore(path);
        Assert.Equal("last", store.GetString("k"));
        Assert.Equal(2, store.Count);

        var report = SkvBackup.Verify(path, store);
        Assert.False(report.Ok);
        Assert.Equal(1, report.DuplicateKeys);
        var dup = Assert.Single(report.Problems);
        Assert.Equal(2, dup.RecordIndex);
        Assert.Contains("duplicate", dup.Message);
        Assert.Equal(2, report.Comparison!.Matching);       // compared by the last occurrence, as restored
        Assert.Equal(0, report.Comparison.DifferentValues);
    }

    [Fact]
    public void Bom_IsAccepted()
    {
        using var dir = new TempDir();
        byte[] withBom = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(SeedDocument)];
        string path = dir.WriteBytes("bom.json", withBom);
        using var store = dir.OpenStore();
        store.Restore(path);
        Assert.Equal(2, store.Count);
    }
}
