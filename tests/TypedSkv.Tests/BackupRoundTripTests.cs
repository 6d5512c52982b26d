using System.Text;
using TypedSkv.Backup;

namespace TypedSkv.Tests;

public sealed class BackupRoundTripTests
{
    private static void Fill(SkvStore store)
    {
        byte[] all = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        for (int b = 0; b < 256; b++)
        {
            store.Put(new[] { (byte)b }, new[] { (byte)b });              // every byte as key and value
            store.Put(new byte[] { 0x6B, (byte)b, 0xFF }, all);          // every byte inside a (binary) key; all bytes as value
            store.Put(Encoding.UTF8.GetBytes($"empty/{b}"), ReadOnlySpan<byte>.Empty);
        }
        store.Put("text/plain", "alice");
        store.Put("text/unicode", "héllo wörld 😀 日本語 \u2028");
        store.Put("text/escapes", "quote \" backslash \\ newline \n tab \t nul \0 del \u007f");
        store.Put("bin/invalid", new byte[] { 0xC3, 0x28, 0xFF, 0xFE });
        store.Put(new byte[] { 0xFF, 0xFE, 0x00 }, "text value under a binary key"u8);
    }

    [Fact]
    public void EveryByteValue_InKeysAndValues_RoundTrips()
    {
        using var dir = new TempDir();
        using var source = dir.OpenStore("a.skv");
        Fill(source);
        string path = dir.File("backup.json");

        var result = source.Backup(path);

        Assert.Equal(source.Count, result.Records);
        Assert.Equal(new FileInfo(path).Length, result.Bytes);
        Assert.Matches("^[0-9a-f]{16}$", result.Checksum!);
        using var target = dir.OpenStore("b.skv");
        var restored = target.Restore(path);
        Assert.Equal(source.Count, restored.Records);
        Assert.Equal("1.0", restored.Format);
        Assert.Equal(StoreDigest.Dump(source), StoreDigest.Dump(target));
        Assert.Empty(target.Get("empty/7"));
    }

    [Fact]
    public void File_HasSeedShape_WithRealUtf8Text_AndBase64ForBinary()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("username", "alice");
        store.Put("binary_data", new byte[] { 1, 2, 3, 4, 0xFF });
        store.Put("emoji", "héllo 😀");
        store.Put("ctl", "a\nb\"c");
        store.Put(new byte[] { 0xFF, 0x01 }, "x"u8);
        string path = dir.File("b.json");
        store.Backup(path, new BackupOptions { Indented = false });

        string json = File.ReadAllText(path, Encoding.UTF8);
        Assert.StartsWith("{\"version\":\"1.0\",\"created_at\":\"", json);
        Assert.Contains("\"total_records\":5,\"records\":[", json);
        Assert.Contains("{\"key\":\"username\",\"value\":\"alice\",\"encoding\":\"text\"}", json);
        Assert.Contains("{\"key\":\"binary_data\",\"value\":\"AQIDBP8=\",\"encoding\":\"base64\"}", json);
        Assert.Contains("\"value\":\"héllo 😀\"", json);            // not \u-escaped
        Assert.Contains("\"value\":\"a\\nb\\\"c\"", json);          // control chars and quotes escaped
        Assert.Contains("{\"key\":\"/wE=\",\"value\":\"x\",\"encoding\":\"text\",\"key_encoding\":\"base64\"}", json);
        Assert.Matches("\\],\"checksum\":\\{\"algorithm\":\"xxh3-64\",\"value\":\"[0-9a-f]{16}\"\\}\\}$", json);
        using var doc = System.Text.Json.JsonDocument.Parse(json);
        Assert.True(BackupReader.TryParseTimestamp(doc.RootElement.GetProperty("created_at").GetString()!, out var created));
        Assert.InRange(created, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(1));
    }

    [Fact]
    public void Gzip_RoundTrips_ByExtension_AndByOption()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        Fill(store);
        string gz = dir.File("b.json.gz");
        store.Backup(gz);
        byte[] head = File.ReadAllBytes(gz)[..2];
        Assert.Equal(new byte[] { 0x1F, 0x8B }, head);

        string forced = dir.File("forced.json");
        store.Backup(forced, new BackupOptions { Gzip = true });
        Assert.Equal(0x1F, File.ReadAllBytes(forced)[0]);

        foreach (string path in new[] { gz, forced })
        {
            using var target = dir.OpenStore(Path.GetFileName(path) + ".skv");
            target.Restore(path); // gzip detected by magic bytes
            Assert.Equal(StoreDigest.Dump(store), StoreDigest.Dump(target));
            var report = SkvBackup.Verify(path, target);
            Assert.True(report.Ok, string.Join("; ", report.Problems));
            Assert.True(report.ChecksumValid);
        }
    }

    [Fact]
    public void PrefixBackup_HoldsOnlyThePrefix_WithMatchingTotal()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        for (int i = 0; i < 50; i++) store.Put($"user/{i:D3}", $"u{i}");
        for (int i = 0; i < 30; i++) store.Put($"order/{i:D3}", $"o{i}");
        store.Put("user", "no slash: not under user/");
        string path = dir.File("users.json");

        var result = store.Backup(path, new BackupOptions { Prefix = "user/" });

        Assert.Equal(50, result.Records);
        var report = SkvBackup.Verify(path);
        Assert.True(report.Ok, string.Join("; ", report.Problems));
        Assert.Equal(50, report.DeclaredRecords);
        using var target = dir.OpenStore("t.skv");
        target.Restore(path);
        Assert.Equal(50, target.Count);
        Assert.All(target.Scan(), e => Assert.StartsWith("user/", e.KeyString));
        // compared with the whole store, only keys under the prefix count as extra: the file records its prefix
        Assert.True(SkvBackup.Verify(path, store, new VerifyOptions { Prefix = "user/" }).Ok);
        Assert.Equal(0, SkvBackup.Verify(path, store).Comparison!.ExtraInStore);
        Assert.Equal("user/", SkvBackup.Verify(path, store).Prefix);
    }

    [Fact]
    public void LargeValues_BiggerThanTheReadBuffer_RoundTrip()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var rng = new Random(7);
        byte[] bin = new byte[300_000];
        rng.NextBytes(bin);
        store.Put("big/binary", bin);
        store.Put("big/text", new string('é', 200_000) + "\"end\"");
        string path = dir.File("big.json");
        store.Backup(path);
        using var target = dir.OpenStore("t.skv");
        target.Restore(path);
        Assert.Equal(StoreDigest.Dump(store), StoreDigest.Dump(target));
    }

    [Fact]
    public void Parser_WithATinyBuffer_ReadsEveryRecord()
    {
        // a 16-byte buffer refills inside every token: exercises the resumable reader state
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        Fill(store);
        string path = dir.File("b.json");
        store.Backup(path);

        using var stream = File.OpenRead(path);
        using var reader = new BackupReader(path, stream, bufferSize: 16);
        var seen = new Dictionary<string, string>();
        while (reader.Next())
        {
            Assert.Null(reader.RecordProblem);
            seen[Convert.ToHexString(reader.Key)] = Convert.ToHexString(reader.Value);
        }
        Assert.Empty(reader.FileProblems);
        Assert.True(reader.ChecksumValid);
        Assert.Equal(StoreDigest.Dump(store), seen);
    }

    [Fact]
    public void Backup_WhileAnotherThreadWrites_EqualsAPointInTime()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        for (int i = 0; i < 20_000; i++) store.Put($"base/{i:D6}", new string('x', 100));
        long ops = 0;
        // op n: even -> new key w/n, odd -> overwrite k/(n % 50); the store after m ops is fully determined by m
        static void Apply(SkvStore s, long n)
        {
            if (n % 2 == 0) s.Put($"w/{n:D8}", $"v{n}");
            else s.Put($"k/{n % 50:D2}", $"v{n}");
        }
        using var stop = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            while (!stop.IsCancellationRequested) { Apply(store, ops); Interlocked.Increment(ref ops); }
        });
        writer.Start();
        long before, after;
        string path = dir.File("live.json");
        BlockingProgress progress;
        try
        {
        SpinWait.SpinUntil(() => Interlocked.Read(ref ops) > 100);
        before = Interlocked.Read(ref ops);
        // the progress callback (every 8192 records) waits until the writer has moved on: writes surely overlap the backup
        progress = new BlockingProgress(() =>
        {
            long at = Interlocked.Read(ref ops);
            SpinWait.SpinUntil(() => Interlocked.Read(ref ops) > at + 200, 5000);
        });
        store.Backup(path, new BackupOptions { Progress = progress });
        after = Interlocked.Read(ref ops);
        }
        finally
        {
            stop.Cancel();
            writer.Join();
        }
        Assert.True(progress.Calls >= 2);
        Assert.True(after > before + 200, "the writer did not run during the backup");

        using var restored = dir.OpenStore("r.skv");
        restored.Restore(path);
        var dump = StoreDigest.Dump(restored);
        // which m? the highest w key tells within one op
        long maxW = restored.ScanPrefix("w/").Select(e => long.Parse(e.KeyString[2..])).DefaultIfEmpty(-2).Max();
        bool matched = false;
        foreach (long m in new[] { maxW + 1, maxW + 2 })
        {
            if (m < before || m > after) continue;
            using var replay = dir.OpenStore($"replay{m}.skv");
            for (int i = 0; i < 20_000; i++) replay.Put($"base/{i:D6}", new string('x', 100));
            for (long n = 0; n < m; n++) Apply(replay, n);
            if (StoreDigest.Dump(replay).SequenceEqual(dump)) { matched = true; break; }
        }
        Assert.True(matched, $"backup is not the store after any single op count (max w {maxW}, ops {before}..{after})");
    }

    private sealed class BlockingProgress(Action onReport) : IProgress<SkvBackupProgress>
    {
        public int Calls;
        public void Report(SkvBackupProgress value)
        {
            Calls++;
            onReport();
        }
    }

    [Fact]
    public void Backup_FromReadOnlyOpener_WhileWriterHoldsTheStore()
    {
        using var dir = new TempDir();
        using var writer = dir.OpenStore();
        for (int i = 0; i < 100; i++) writer.Put($"k{i}", $"v{i}");
        writer.Flush();
        using var reader = SkvStore.OpenReadOnly(writer.FilePath);
        string path = dir.File("ro.json");
        var result = reader.Backup(path);
        Assert.Equal(100, result.Records);
        Assert.True(SkvBackup.Verify(path, writer).Ok);
    }
}

public sealed class BackupLargeValueTests
{
    [Fact]
    public void ValuesAboveTheSegmentSize_AreWrittenInSegments_AndRoundTrip()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        var rng = new Random(3);
        byte[] bin = new byte[2_500_001];
        rng.NextBytes(bin);
        // multi-byte characters and escapes fall on segment boundaries somewhere in 2.5 MB
        var sb = new System.Text.StringBuilder();
        // (escapes rare enough that the value stays cheaper as text than as base64)
        string[] pieces = ["a", "é", "日本", "😀", "\"", "\\", "\n", "\u0001", "xyz", "lorem ipsum dolor", "sit amet, consectetur", "adipiscing elit"];
        while (sb.Length < 1_300_000) sb.Append(pieces[rng.Next(pieces.Length)]);
        store.Put("large/binary", bin);
        store.Put("large/text", sb.ToString());
        store.Put("small", "s");
        string path = dir.File("large.json");
        store.Backup(path);

        using var target = dir.OpenStore("t.skv");
        target.Restore(path);
        Assert.Equal(bin, target.Get("large/binary"));
        Assert.Equal(sb.ToString(), target.GetString("large/text"));
        Assert.True(SkvBackup.Verify(path, store).Ok);
        Assert.Contains("😀", File.ReadAllText(path)); // real UTF-8 in segments too
    }

    [Fact]
    public void BackupOntoTheStoreFile_IsRefused()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        Assert.Throws<ArgumentException>(() => store.Backup(store.FilePath));
        Assert.Throws<ArgumentException>(() => store.Backup(store.FilePath + SkvStore.LockFileSuffix));
        Assert.Equal("1", store.GetString("a"));
    }

    [Fact]
    public void An_unknown_restore_mode_is_refused_before_anything_is_read()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("a", "1");
        string path = dir.File("b.json");
        store.Backup(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Restore(path, new RestoreOptions { Mode = (RestoreMode)99 }));
        Assert.Equal("1", store.GetString("a"));
    }
}

public sealed class BackupEncodingChoiceTests
{
    [Theory]
    [InlineData(new byte[] { 1, 2, 3, 4 }, false)]            // the seed's own example: AQIDBA==
    [InlineData(new byte[] { 0x61, 0x62, 0x0A, 0x63 }, true)]  // text with a newline
    [InlineData(new byte[] { 0xC3, 0xA9 }, true)]              // é
    [InlineData(new byte[] { 0xFF }, false)]                   // not UTF-8
    public void Values_are_text_when_valid_UTF8_and_not_dominated_by_escapes(byte[] value, bool text)
    {
        Assert.Equal(text, TypedSkv.Backup.BackupWriter.IsReadableText(value));
    }

    [Fact]
    public void A_value_of_quotes_is_written_as_base64_and_round_trips()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore();
        store.Put("quotes", new string('"', 1000));
        store.Put("binary_data", new byte[] { 1, 2, 3, 4 });
        string path = dir.File("b.json");
        store.Backup(path);
        string json = File.ReadAllText(path);
        Assert.Contains("\"AQIDBA==\"", json);
        using var target = dir.OpenStore("t.skv");
        target.Restore(path, new RestoreOptions { MaxValueBytes = long.MaxValue }); // no overflow in the token limit
        Assert.Equal(new string('"', 1000), target.GetString("quotes"));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, target.Get("binary_data"));
    }
}
