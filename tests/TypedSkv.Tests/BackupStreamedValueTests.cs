using System.IO.Compression;
using System.Text;
using System.Text.Json;
using TypedSkv.Backup;

namespace TypedSkv.Tests;

/// <summary>
/// Issue 13 item 11: values larger than the stream threshold are read in pieces (never as one buffered token), held
/// once, and a too-large value is rejected while it is read, in memory bounded by the limit.
/// </summary>
public sealed class BackupStreamedValueTests
{
    private static string Doc(params string[] records) =>
        "{\"version\":\"1.0\",\"total_records\":" + records.Length + ",\"records\":[" + string.Join(",", records) + "]}";

    /// <summary>Every record through a reader with tiny buffers and threshold, so every string streams and pieces split everywhere.</summary>
    private static List<(byte[] Key, byte[] Value, string? Problem)> ReadAll(string json, int threshold = 64, long maxValue = 1 << 30)
    {
        using var reader = new BackupReader("t.json", new MemoryStream(Encoding.UTF8.GetBytes(json)), bufferSize: 64, maxValueBytes: maxValue, streamThreshold: threshold);
        var list = new List<(byte[], byte[], string?)>();
        while (reader.Next()) list.Add((reader.Key.ToArray(), reader.Value.ToArray(), reader.RecordProblem));
        Assert.Empty(reader.FileProblems);
        return list;
    }

    public static TheoryData<string> Texts() => new()
    {
        new string('a', 5000),
        string.Concat(Enumerable.Repeat("héllo wörld 😀 日本語 ", 300)),
        string.Concat(Enumerable.Repeat("quote \" backslash \\ nl \n tab \t nul \0 ", 200)),
        string.Concat(Enumerable.Range(0, 3000).Select(i => char.ConvertFromUtf32(0x1F600 + i % 80))),
        string.Concat(Enumerable.Range(0, 4000).Select(i => (char)(i % 0xD7FF + 1))),
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void StreamedText_WithEveryKindOfEscape_ReadsExactly(string text)
    {
        // three spellings: real UTF-8, the BCL's default (\u escapes for all non-ASCII, surrogate pairs), and ours
        string escapedAll = JsonSerializer.Serialize(text);
        string minimal = JsonSerializer.Serialize(text, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        foreach (string spelled in new[] { escapedAll, minimal })
        {
            foreach (int threshold in new[] { 64, 100, 1000 })
            {
                var records = ReadAll(Doc("{\"key\":\"k\",\"value\":" + spelled + ",\"encoding\":\"text\"}", "{\"key\":\"after\",\"value\":\"x\",\"encoding\":\"text\"}"), threshold);
                Assert.Null(records[0].Problem);
                Assert.Equal(text, Encoding.UTF8.GetString(records[0].Value));
                Assert.Equal("after", Encoding.UTF8.GetString(records[1].Key));
            }
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void StreamedBase64_DecodesOnTheFly_OrInPlace(bool encodingFirst)
    {
        var rng = new Random(3);
        foreach (int size in new[] { 100, 101, 102, 4096, 10_000 })
        {
            byte[] value = new byte[size];
            rng.NextBytes(value);
            string b64 = Convert.ToBase64String(value);
            string record = encodingFirst
                ? "{\"key\":\"k\",\"encoding\":\"base64\",\"value\":\"" + b64 + "\"}"
                : "{\"key\":\"k\",\"value\":\"" + b64 + "\",\"encoding\":\"base64\"}";
            var records = ReadAll(Doc(record));
            Assert.Null(records[0].Problem);
            Assert.Equal(value, records[0].Value);
        }
    }

    [Theory]
    [InlineData("{\"key\":\"k\",\"encoding\":\"base64\",\"value\":\"%B64% \"}", "bad base64")]
    [InlineData("{\"key\":\"k\",\"value\":\"%B64%\\n\",\"encoding\":\"base64\"}", "bad base64")]
    [InlineData("{\"key\":\"k\",\"encoding\":\"base64\",\"value\":\"%B64%A\"}", "bad base64")]
    [InlineData("{\"key\":\"k\",\"encoding\":\"base64\",\"value\":\"%B64%\",\"encoding\":\"text\"}", "\"encoding\" is given twice")]
    [InlineData("{\"key\":\"%LONG%\",\"value\":\"x\",\"encoding\":\"text\"}", "the key is longer than 1024 bytes")]
    [InlineData("{\"key\":\"k\",\"value\":\"x\",\"encoding\":\"%LONG%\"}", "unknown \"encoding\"")]
    public void StreamedValues_WithProblems_AreRecordProblems(string record, string expected)
    {
        string b64 = Convert.ToBase64String(new byte[3000]);
        var records = ReadAll(Doc(record.Replace("%B64%", b64).Replace("%LONG%", new string('k', 5000)), "{\"key\":\"next\",\"value\":\"ok\",\"encoding\":\"text\"}"));
        Assert.Contains(expected, records[0].Problem);
        Assert.Null(records[1].Problem);
    }

    [Fact]
    public void UnknownFieldsWithHugeStrings_AreSkippedWithoutBuffering()
    {
        var records = ReadAll(Doc("{\"key\":\"k\",\"comment\":\"" + new string('c', 100_000) + "\",\"value\":\"v\",\"encoding\":\"text\"}"));
        Assert.Equal("v", Encoding.UTF8.GetString(records.Single().Value));
    }

    [Theory]
    [InlineData("\"\\u00\"")]   // a cut escape
    [InlineData("\"\\q\"")]     // an unknown escape
    [InlineData("\"\\ud800x\"")] // a lone surrogate
    public void StreamedStrings_WithBadEscapes_AreMalformedJson(string tail)
    {
        string json = Doc("{\"key\":\"k\",\"value\":\"" + new string('v', 500) + tail[1..] + ",\"encoding\":\"text\"}");
        using var reader = new BackupReader("t.json", new MemoryStream(Encoding.UTF8.GetBytes(json)), bufferSize: 64, streamThreshold: 64);
        var ex = Assert.Throws<SkvBackupException>(() => { while (reader.Next()) { } });
        Assert.Contains("malformed JSON", ex.Message);
    }

    [Fact]
    public void StreamedString_CutOffByTheEndOfTheFile_IsTruncated()
    {
        string json = Doc("{\"key\":\"k\",\"value\":\"" + new string('v', 5000) + "\",\"encoding\":\"text\"}")[..3000];
        using var reader = new BackupReader("t.json", new MemoryStream(Encoding.UTF8.GetBytes(json)), bufferSize: 64, streamThreshold: 64);
        var ex = Assert.Throws<SkvBackupException>(() => { while (reader.Next()) { } });
        Assert.Contains("truncated", ex.Message);
    }

    [Fact]
    public void LargeValues_RoundTrip_AndAreNotBufferedAsManagedTokens()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        var rng = new Random(5);
        byte[] binary = new byte[24 << 20];
        rng.NextBytes(binary);
        source.Put("bin", binary);
        source.Put("text", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("ünïcödé text 😀 \"q\" ", 1 << 20))));
        string path = dir.File("big.json");
        source.Backup(path);
        string head = Encoding.UTF8.GetString(File.ReadAllBytes(path).AsSpan(0, 300));
        Assert.Matches("\"key\": \"bin\",\\s+\"encoding\": \"base64\",\\s+\"value\"", head); // large values: encoding first

        using var target = dir.OpenStore("b.skv");
        target.Restore(path); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        target.Restore(path, new RestoreOptions { Mode = RestoreMode.Replace });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(StoreDigest.Dump(source), StoreDigest.Dump(target));
        // 24 MiB + 22 MiB of values: the pieces (1 MiB) and buffers are reused, the values live in native memory
        Assert.True(allocated < 8 << 20, $"restore allocated {allocated:N0} managed bytes");
        Assert.True(SkvBackup.Verify(path, target).Ok);
    }

    [Fact]
    public void TooLargeValue_IsRejectedWhileReading_InBoundedMemory()
    {
        // a small gzip file holding one 200 MB string: the value is refused when the limit is passed, not after
        using var dir = new TempDir();
        string path = dir.File("bomb.json.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Optimal))
        {
            gz.Write("{\"version\":\"1.0\",\"total_records\":1,\"records\":[{\"key\":\"k\",\"encoding\":\"text\",\"value\":\""u8);
            byte[] block = Encoding.ASCII.GetBytes(new string('A', 1 << 20));
            for (int i = 0; i < 200; i++) gz.Write(block);
            gz.Write("\"}]}"u8);
        }
        Assert.True(new FileInfo(path).Length < 2 << 20);
        using var store = dir.OpenStore();

        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<SkvBackupException>(() => store.Restore(path, new RestoreOptions { MaxValueBytes = 4 << 20 }));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("the value is more than 4194304 bytes", ex.Message);
        Assert.True(allocated < 16 << 20, $"allocated {allocated:N0} managed bytes");
        Assert.Equal(0, store.Count);
        var report = SkvBackup.Verify(path, new VerifyOptions { MaxValueBytes = 4 << 20 });
        Assert.Contains(report.Problems, p => p.Message.Contains("the value is more than"));
    }
}
