using System.Text;

namespace TypedSkv.Tests;

/// <summary>Incremental backups and chains: changes, links, point in time, all or nothing.</summary>
public sealed class BackupIncrementalTests
{
    private static readonly DateTimeOffset Sunday = new(2026, 11, 29, 2, 0, 0, TimeSpan.Zero);

    private static DateTimeOffset Day(int n) => Sunday.AddDays(n);

    private static void Fill(SkvStore store, int n)
    {
        for (int i = 0; i < n; i++) store.Put($"key:{i:D5}", $"value {i}");
        store.Put(new byte[] { 0xFF, 0x00 }, new byte[] { 1, 2, 3 });
    }

    private static BackupResult Full(SkvStore store, string path, DateTimeOffset at) =>
        store.Backup(path, new BackupOptions { CreatedAt = at });

    private static BackupResult Incremental(SkvStore store, string path, string basePath, DateTimeOffset at, BackupEncryption? encryption = null) =>
        store.Backup(path, new BackupOptions { IncrementalBase = basePath, CreatedAt = at, Encryption = encryption });

    [Fact]
    public void AddChangeDelete_RoundTrip()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 100);
        Full(store, dir.File("full.json"), Sunday);
        store.Put("key:00001", "changed");
        store.Delete("key:00002");
        store.Put("new", "added");
        store.Put(new byte[] { 0xFF, 0x00 }, new byte[] { 9 }); // binary key changed
        store.Delete("key:00099");

        var inc = Incremental(store, dir.File("mon.json"), dir.File("full.json"), Day(1));

        Assert.Equal(5, inc.Records);
        string text = File.ReadAllText(dir.File("mon.json"));
        Assert.StartsWith("{\n  \"version\": \"2.0\",\n  \"kind\": \"incremental\",", text.Replace("\r\n", "\n"));
        Assert.Contains("\"op\": \"delete\"", text);
        Assert.Contains("\"file\": \"full.json\"", text);
        using var target = dir.OpenStore("b.skv");
        target.Put("stale", "removed by replace");
        var result = SkvBackup.Restore(target, [dir.File("full.json"), dir.File("mon.json")], new RestoreOptions { Mode = RestoreMode.Replace });
        Assert.Equal(StoreDigest.Dump(store), StoreDigest.Dump(target));
        Assert.Contains("1 full + 1 incremental", result.Format);
        Assert.True(SkvBackup.Verify([dir.File("full.json"), dir.File("mon.json")], target).Ok);
    }

    [Fact]
    public void ChainOfThree_RestoresTheSameState_AsAFullBackupTakenAtTheEnd_ByteForByte()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 300);
        Full(store, dir.File("0.json"), Sunday);
        var chain = new List<string> { dir.File("0.json") };
        var rng = new Random(11);
        for (int day = 1; day <= 3; day++)
        {
            for (int i = 0; i < 20; i++)
            {
                int k = rng.Next(400);
                if (rng.Next(3) == 0) store.Delete($"key:{k:D5}");
                else store.Put($"key:{k:D5}", $"day {day} value {rng.Next()}");
            }
            string path = dir.File($"{day}.json");
            Incremental(store, path, chain[^1], Day(day));
            chain.Add(path);
        }
        Full(store, dir.File("end.json"), Day(4));

        using var target = dir.OpenStore("b.skv");
        SkvBackup.Restore(target, chain);
        Full(target, dir.File("end-from-chain.json"), Day(4));

        Assert.Equal(File.ReadAllBytes(dir.File("end.json")), File.ReadAllBytes(dir.File("end-from-chain.json")));
        // and the chain can be found from its last file
        Assert.Equal(chain, SkvBackup.ResolveChain(chain[^1]));
    }

    [Fact]
    public void Until_RestoresThePointInTime_OfTheLastFileTakenAtOrBeforeIt()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        store.Put("day", "0");
        Full(store, dir.File("0.json"), Sunday);
        var states = new List<string> { StoreDigest.Of(store) };
        var chain = new List<string> { dir.File("0.json") };
        for (int day = 1; day <= 3; day++)
        {
            store.Put("day", day.ToString());
            store.Put($"added-on-{day}", "x");
            string path = dir.File($"{day}.json");
            Incremental(store, path, chain[^1], Day(day));
            chain.Add(path);
            states.Add(StoreDigest.Of(store));
        }

        for (int day = 0; day <= 3; day++)
        {
            using var target = dir.OpenStore($"until-{day}.skv");
            var until = Day(day).AddHours(12); // between two backups
            SkvBackup.Restore(target, chain, new RestoreOptions { Until = until });
            Assert.Equal(states[day], StoreDigest.Of(target));
            Assert.True(SkvBackup.Verify(chain, target, until: until).Ok);
        }
        using var exact = dir.OpenStore("exact.skv");
        SkvBackup.Restore(exact, chain, new RestoreOptions { Until = Day(2) }); // at the time itself: included
        Assert.Equal(states[2], StoreDigest.Of(exact));
        using var early = dir.OpenStore("early.skv");
        var ex = Assert.Throws<SkvBackupException>(() => SkvBackup.Restore(early, chain, new RestoreOptions { Until = Sunday.AddDays(-1) }));
        Assert.Contains("after --until", ex.Message);
    }

    [Fact]
    public void WrongBase_OrBrokenLink_OrWrongOrder_IsRefused_AndTheStoreStaysUnchanged()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 50);
        Full(store, dir.File("full.json"), Sunday);
        Full(store, dir.File("other-full.json"), Sunday.AddMinutes(1));
        store.Put("a", "1");
        Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));
        store.Put("b", "2");
        Incremental(store, dir.File("2.json"), dir.File("1.json"), Day(2));
        // same time as full.json, other content: only the checksum tells
        store.Put("c", "3");
        Full(store, dir.File("same-time.json"), Sunday);

        using var target = dir.OpenStore("b.skv");
        target.Put("keep", "me");
        string before = StoreDigest.Of(target);
        var cases = new (string[] Files, string Expected)[]
        {
            (["other-full.json", "1.json"], "broken chain"),              // wrong base (time)
            (["same-time.json", "1.json", "2.json"], "broken chain"),    // wrong base (checksum)
            (["full.json", "2.json"], "broken chain"),                   // a link missing
            (["full.json", "2.json", "1.json"], "broken chain"),         // out of order
            (["1.json", "2.json"], "must be a full backup"),             // no full first
            (["full.json", "other-full.json"], "not an incremental"),    // two fulls
        };
        foreach (var (files, expected) in cases)
        {
            var paths = files.Select(dir.File).ToList();
            var ex = Assert.Throws<SkvBackupException>(() => SkvBackup.Restore(target, paths, new RestoreOptions { Mode = RestoreMode.Replace }));
            Assert.Contains(expected, ex.Message);
            Assert.False(SkvBackup.Verify(paths).Ok, string.Join(" ", files));
            Assert.Equal(before, StoreDigest.Of(target));
        }
    }

    [Fact]
    public void AnIncrementalFileAlone_IsRefusedByTheOneFileReader()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        store.Put("a", "1");
        Full(store, dir.File("full.json"), Sunday);
        store.Delete("a");
        Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));
        using var target = dir.OpenStore("b.skv");
        target.Put("a", "still here");

        var ex = Assert.Throws<SkvBackupException>(() => target.Restore(dir.File("1.json")));
        Assert.Contains("incremental backup (version 2.0)", ex.Message);
        Assert.Equal("still here", target.GetString("a"));
        Assert.False(SkvBackup.Verify(dir.File("1.json")).Ok);
        // a reader that ignores "version" finds no records array: "records" holds a note
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("1.json")));
        Assert.Equal(System.Text.Json.JsonValueKind.String, doc.RootElement.GetProperty("records").ValueKind);
    }

    [Fact]
    public void TamperedIncremental_FailsTheWholeChain()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 50);
        Full(store, dir.File("full.json"), Sunday);
        store.Put("key:00003", "new value");
        Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));
        File.WriteAllText(dir.File("1.json"), File.ReadAllText(dir.File("1.json")).Replace("new value", "NEW VALUE"));
        using var target = dir.OpenStore("b.skv");
        var ex = Assert.Throws<SkvBackupException>(() => SkvBackup.Restore(target, [dir.File("full.json"), dir.File("1.json")]));
        Assert.Contains("checksum mismatch", ex.Message);
        Assert.Equal(0, target.Count);
    }

    [Fact]
    public void OnePercentChanged_GivesAnIncrementalOfAboutOnePercent()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        for (int i = 0; i < 20_000; i++) store.Put($"user:{i:D6}", $"{{\"name\":\"user {i}\",\"visits\":{i}}}");
        var full = Full(store, dir.File("full.json"), Sunday);
        for (int i = 0; i < 20_000; i += 100) store.Put($"user:{i:D6}", $"{{\"name\":\"user {i}\",\"visits\":{i + 1}}}");

        var inc = Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));

        Assert.Equal(200, inc.Records);
        double ratio = inc.Bytes / (double)full.Bytes;
        Assert.InRange(ratio, 0.005, 0.02);
    }

    [Fact]
    public void EncryptedAndCompressedChain_RoundTrips()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 200);
        var secret = BackupEncryption.FromPassphrase("chain", iterations: 10);
        store.Backup(dir.File("full.json.zst"), new BackupOptions { CreatedAt = Sunday, Encryption = secret });
        store.Delete("key:00007");
        store.Put("key:00008", "changed");
        Incremental(store, dir.File("1.json.zst"), dir.File("full.json.zst"), Day(1), secret);

        Assert.Throws<SkvBackupSecretException>(() => Incremental(store, dir.File("2.json"), dir.File("1.json.zst"), Day(2))); // the chain needs the secret
        using var target = dir.OpenStore("b.skv");
        SkvBackup.Restore(target, [dir.File("full.json.zst"), dir.File("1.json.zst")], new RestoreOptions { Encryption = secret });
        Assert.Equal(StoreDigest.Dump(store), StoreDigest.Dump(target));
        var wrong = SkvBackup.Verify([dir.File("full.json.zst"), dir.File("1.json.zst")], target, new VerifyOptions { Encryption = BackupEncryption.FromPassphrase("nope", 10) });
        Assert.False(wrong.Ok);
        Assert.Contains(wrong.Problems, p => p.Message.Contains("wrong passphrase"));
    }

    [Fact]
    public void Verify_ComparesTheChainsFinalState_WithAStore()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        Fill(store, 20);
        Full(store, dir.File("full.json"), Sunday);
        store.Delete("key:00001");
        store.Put("key:00002", "changed");
        Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));
        string[] chain = [dir.File("full.json"), dir.File("1.json")];
        Assert.True(SkvBackup.Verify(chain, store).Ok);

        store.Put("key:00001", "back again");   // deleted by the chain
        store.Put("key:00002", "other");        // differs
        store.Delete("key:00003");              // missing
        store.Put("zzz", "extra");              // not in the chain
        var report = SkvBackup.Verify(chain, store);

        Assert.False(report.Ok);
        Assert.Equal(new StoreComparison(MissingInStore: 1, ExtraInStore: 2, DifferentValues: 1, Matching: 18), report.Comparison);
        Assert.Contains(report.Problems, p => p.Message.Contains("deleted by the chain") && p.Key!.Contains("key:00001"));
    }

    [Fact]
    public void ABaseNotInKeyOrder_IsRefused_AndNothingIsWritten()
    {
        using var dir = new TempDir();
        string unsorted = dir.WriteText("go.json", """
            {"version":"1.0","created_at":"2024-12-06T12:00:00Z","total_records":2,"records":[
              {"key":"b","value":"2","encoding":"text"},{"key":"a","value":"1","encoding":"text"}]}
            """);
        using var store = dir.OpenStore();
        store.Put("a", "1");
        var ex = Assert.Throws<SkvBackupException>(() => store.Backup(dir.File("inc.json"), new BackupOptions { IncrementalBase = unsorted }));
        Assert.Contains("ascending key order", ex.Message);
        Assert.False(File.Exists(dir.File("inc.json")));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp-*"));
    }

    [Fact]
    public void MergeMode_AppliesTheChainsDeletions_AndKeepsOtherKeys()
    {
        using var dir = new TempDir();
        using var store = dir.OpenStore("a.skv");
        store.Put("a", "1");
        store.Put("b", "2");
        Full(store, dir.File("full.json"), Sunday);
        store.Delete("a");
        Incremental(store, dir.File("1.json"), dir.File("full.json"), Day(1));
        using var target = dir.OpenStore("b.skv");
        target.Put("a", "old");
        target.Put("local", "stays");
        SkvBackup.Restore(target, [dir.File("full.json"), dir.File("1.json")]);
        Assert.False(target.ContainsKey("a"));
        Assert.Equal("2", target.GetString("b"));
        Assert.Equal("stays", target.GetString("local"));
    }
}
