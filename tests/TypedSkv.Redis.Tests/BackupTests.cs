using System.Text;
using TypedSkv.Redis;
using TypedSkv.Tool.Commands;
using TypedSkv.Typed.Tests;

namespace TypedSkv.Redis.Tests;

/// <summary>Temp directory for backup files and embedded stores.</summary>
public sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "skv-redis-test-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

internal static class Data
{
    /// <summary>Typed records (with index entries), raw text keys, and binary keys and values (invalid UTF-8, 0x00, 0xFF).</summary>
    public static void Fill(SkvStore store, int extra = 300)
    {
        using (var db = new TestDb(store))
        {
            for (int i = -20; i < 20; i++) db.Users.Put(new User(i, "n" + i, $"{i}@x", i % 3 == 0 ? "Oslo" : null));
            for (long s = 0; s < 50; s++) db.Events.Put(new Event(s, "k" + s));
            db.Lines.Put(new OrderLine(1, "a\0b", 2, 3.5m));
        }
        var random = new Random(42);
        for (int i = 0; i < extra; i++)
        {
            byte[] key = new byte[1 + random.Next(40)];
            random.NextBytes(key);
            byte[] value = new byte[random.Next(0, 2000)];
            random.NextBytes(value);
            store.Put([(byte)'b', (byte)'i', (byte)'n', (byte)'/', .. key], value);
        }
        store.Put([0xFF, 0xFE, (byte)'/', 0x00], [0xC3, 0x28]);
        store.Put("plain", "");
        store.Put("text/ünïcode", "välue");
    }

    public static List<(string Key, string Value)> Dump(ISkvStorage storage) =>
        storage.ScanPrefix(default).Select(e => (Convert.ToHexString(e.Key.Span), Convert.ToHexString(e.GetValue())))
            .OrderBy(p => p.Item1, StringComparer.Ordinal).ToList();
}

internal sealed class Cli
{
    public StringWriter Out { get; } = new();
    public StringWriter Err { get; } = new();

    public int Backup(string db, string file) => BackupCommand.Run(Out, Err, db, file);

    public int Restore(string db, string file, RestoreModeArg mode = RestoreModeArg.Merge) => RestoreCommand.Run(Out, Err, db, file, mode);

    public int Verify(string file, string? db) => VerifyCommand.Run(Out, Err, file, db);

    public override string ToString() => $"stdout: {Out}\nstderr: {Err}";
}

[Collection("cluster")]
public sealed class ClusterBackupTests(RedisClusterFixture cluster)
{
    [Fact]
    public void Embedded_backup_restores_into_the_cluster_and_back_byte_identical()
    {
        cluster.Storage.Clear();
        using var dir = new TempDir();
        string source = dir.File("source.skv"), back = dir.File("back.skv");
        using (var store = SkvStore.Open(source)) Data.Fill(store);

        var cli = new Cli();
        Assert.True(cli.Backup(source, dir.File("a.json")) == 0, cli.ToString());
        Assert.True(cli.Restore(cluster.Uri, dir.File("a.json")) == 0, cli.ToString());
        Assert.True(cli.Verify(dir.File("a.json"), cluster.Uri) == 0, cli.ToString());   // verify --db redis://...

        // the keys of the cluster are spread over the three primaries
        Assert.All(cluster.Nodes, n => Assert.NotEqual("0", n.Cli("dbsize").Trim()));

        Assert.True(cli.Backup(cluster.Uri, dir.File("b.json.gz")) == 0, cli.ToString());   // SCAN on every primary
        Assert.True(cli.Verify(dir.File("b.json.gz"), cluster.Uri) == 0, cli.ToString());
        Assert.True(cli.Restore(back, dir.File("b.json.gz")) == 0, cli.ToString());
        Assert.True(cli.Verify(dir.File("b.json.gz"), back) == 0, cli.ToString());
        Assert.True(cli.Verify(dir.File("a.json"), back) == 0, cli.ToString());

        using var original = SkvStore.OpenReadOnly(source);
        using var restored = SkvStore.OpenReadOnly(back);
        var expected = Data.Dump(original);
        Assert.Equal(expected, Data.Dump(restored));
        Assert.Equal(expected, Data.Dump(cluster.Storage));

        // the typed accessors read the restored data (the ordering indexes were rebuilt by the restore)
        var db = new TestDb(cluster.Storage);
        Assert.Equal(Enumerable.Range(-20, 40), db.Users.All().Select(u => u.Id));
        Assert.Equal(-18, db.Users.ByCity.Find("Oslo").First().Id);
        Assert.Equal(3, db.Users.ByEmail.Get("3@x")!.Id);
    }

    [Fact]
    public void Verify_against_the_cluster_finds_missing_extra_and_different_keys()
    {
        cluster.Storage.Clear();
        using var dir = new TempDir();
        string source = dir.File("s.skv");
        using (var store = SkvStore.Open(source)) Data.Fill(store, extra: 10);
        var cli = new Cli();
        Assert.Equal(0, cli.Backup(source, dir.File("a.json")));
        Assert.Equal(0, cli.Restore(cluster.Uri, dir.File("a.json")));

        var storage = cluster.Storage;
        storage.Delete(Encoding.UTF8.GetBytes("plain"));
        storage.Put(Encoding.UTF8.GetBytes("text/ünïcode"), [1, 2, 3]);
        storage.Put(Encoding.UTF8.GetBytes("zzz/extra"), [4]);
        var report = SkvBackup.Verify(dir.File("a.json"), storage);
        Assert.False(report.Ok);
        Assert.Equal(new StoreComparison(1, 1, 1, report.Comparison!.Matching), report.Comparison);
        var failing = new Cli();
        Assert.Equal(1, failing.Verify(dir.File("a.json"), cluster.Uri));

        // replace mode makes the keyspace exactly the backup again
        Assert.Equal(0, cli.Restore(cluster.Uri, dir.File("a.json"), RestoreModeArg.Replace));
        Assert.True(SkvBackup.Verify(dir.File("a.json"), storage).Ok);
    }
}

public sealed class GarnetBackupTests(GarnetFixture garnet) : IClassFixture<GarnetFixture>
{
    [Fact]
    public void Verify_looks_records_up_in_batches_and_keeps_the_record_order_of_outcomes()
    {
        // more records than one lookup batch (1024), with damage in several batches and a duplicate key whose later
        // occurrence (the one a restore keeps) matches the store although the first does not
        garnet.Storage.Clear();
        using var dir = new TempDir();
        const int n = 2600;
        var records = Enumerable.Range(0, n).Select(i => (Key: $"items/{i:D5}", Value: "v" + i)).ToList();
        records.Add((records[10].Key, "other"));                 // duplicate of 10 with a different value...
        records.Insert(20, (records[1500].Key, "stale"));         // ...and an early duplicate of 1500 that a later one corrects
        string file = dir.File("b.json");
        File.WriteAllText(file, "{\"version\":\"1.0\",\"created_at\":\"2024-12-06T12:00:00Z\",\"total_records\":" + records.Count + ",\"records\":["
            + string.Join(",", records.Select(r => $"{{\"key\":\"{r.Key}\",\"value\":\"{r.Value}\",\"encoding\":\"text\"}}")) + "]}");
        var storage = garnet.Storage;
        for (int i = 0; i < n; i++)
        {
            if (i is 5 or 2000) continue;                                     // missing, in the first and the second batch
            storage.Put(Encoding.UTF8.GetBytes($"items/{i:D5}"), Encoding.UTF8.GetBytes(i is 1100 or 2500 ? "changed" : i == 10 ? "other" : "v" + i));
        }
        storage.Put(Encoding.UTF8.GetBytes("items/extra"), [1]);

        var report = SkvBackup.Verify(file, storage, new VerifyOptions { MaxProblems = 100 });
        Assert.False(report.Ok);
        // 10: its last occurrence ("other") matches; 1500: its last occurrence ("v1500") matches
        Assert.Equal(new StoreComparison(2, 1, 2, n - 4), report.Comparison);
        Assert.Equal(["items/00005", "items/01100", "items/02000", "items/02500"],
            report.Problems.Where(p => p.Message.Contains("store", StringComparison.Ordinal) && p.RecordIndex is not null && !p.Message.StartsWith("duplicate", StringComparison.Ordinal))
                .Select(p => p.Key!.Trim('"')).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Library_backup_restore_verify_round_trip_over_Garnet()
    {
        garnet.Storage.Clear();
        using var dir = new TempDir();
        using var store = SkvStore.Open(dir.File("s.skv"));
        Data.Fill(store);
        store.Backup(dir.File("a.json"));

        var restored = SkvBackup.Restore(garnet.Storage, dir.File("a.json"));
        Assert.Equal(store.Count, restored.Records);
        Assert.True(SkvBackup.Verify(dir.File("a.json"), garnet.Storage).Ok);

        var result = SkvBackup.Backup(garnet.Storage, dir.File("b.json"));
        Assert.Equal(store.Count, result.Records);
        Assert.True(SkvBackup.Verify(dir.File("b.json"), store).Ok);
        Assert.Equal(Data.Dump(store), Data.Dump(garnet.Storage));

        // prefix backups work on the server too
        var users = SkvBackup.Backup(garnet.Storage, dir.File("users.json"), new BackupOptions { Prefix = "users/" });
        Assert.Equal(40, users.Records);
    }

    [Fact]
    public void Incremental_backup_of_the_server_and_a_chain_restored_into_it()
    {
        // the incremental is a key-order merge of the server's keyspace against the chain: no change tracking needed
        garnet.Storage.Clear();
        using var dir = new TempDir();
        using var store = SkvStore.Open(dir.File("s.skv"));
        Data.Fill(store, extra: 50);
        SkvBackup.Restore(garnet.Storage, WriteFull(store, dir.File("seed.json")));
        SkvBackup.Backup(garnet.Storage, dir.File("full.json"));
        garnet.Storage.Put("plain"u8, "changed"u8);
        garnet.Storage.Delete("text/ünïcode"u8.ToArray());
        garnet.Storage.Put("new/1"u8, "added"u8);
        var inc = SkvBackup.Backup(garnet.Storage, dir.File("1.json"), new BackupOptions { IncrementalBase = dir.File("full.json") });
        Assert.Equal(3, inc.Records);
        var final = Data.Dump(garnet.Storage);
        string[] chain = [dir.File("full.json"), dir.File("1.json")];
        Assert.True(SkvBackup.Verify(chain, garnet.Storage).Ok);

        // merge: the chain's deletion is applied on the server too
        garnet.Storage.Put("text/ünïcode"u8, "back"u8);
        SkvBackup.Restore(garnet.Storage, chain);
        Assert.Equal(final, Data.Dump(garnet.Storage));
        garnet.Storage.Clear();
        SkvBackup.Restore(garnet.Storage, chain, new RestoreOptions { Mode = RestoreMode.Replace });
        Assert.Equal(final, Data.Dump(garnet.Storage));
    }

    private static string WriteFull(SkvStore store, string path)
    {
        store.Backup(path);
        return path;
    }

    [Fact]
    public void A_malformed_backup_changes_nothing_on_the_server()
    {
        garnet.Storage.Clear();
        using var dir = new TempDir();
        garnet.Storage.Put("keep/1"u8, "v"u8);
        File.WriteAllText(dir.File("bad.json"), """{"version":"1.0","created_at":"2026-11-25T00:00:00Z","total_records":2,"records":[{"key":"a/1","value":"x","encoding":"text"}]}""");
        var cli = new Cli();
        Assert.Equal(1, cli.Restore(garnet.Uri, dir.File("bad.json"), RestoreModeArg.Replace));
        Assert.Equal([("6B6565702F31", "76")], Data.Dump(garnet.Storage));
    }

    [Fact]
    public void Cli_reports_an_unreachable_server_as_exit_2()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("a.json"), """{"version":"1.0","created_at":"2026-11-25T00:00:00Z","total_records":0,"records":[]}""");
        var cli = new Cli();
        int port = Ports.Free();
        Assert.Equal(2, cli.Backup($"redis://127.0.0.1:{port}", dir.File("x.json")));
        Assert.Contains($"error: cannot connect to Redis at 127.0.0.1:{port}: no Redis server answered", cli.Err.ToString());
        Assert.Equal(2, new Cli().Restore("redis://", dir.File("a.json")));
    }
}

public sealed class RedisKillTests
{
    [Fact]
    public async Task A_server_killed_during_a_restore_is_exit_2_and_a_repeat_completes_it()
    {
        using var dir = new TempDir();
        string source = dir.File("big.skv");
        const int records = 150_000;
        using (var store = SkvStore.Open(source, new SkvOptions { Durability = SkvDurability.None }))
        {
            var value = new byte[200];
            using var tx = store.BeginTransaction();
            for (int i = 0; i < records; i++)
            {
                BitConverter.TryWriteBytes(value, i);
                tx.Put(Encoding.UTF8.GetBytes($"big/{i:D8}"), value);
            }
            tx.Commit();
            store.Backup(dir.File("big.json"));
        }

        var server = new RedisProcess(cluster: false);
        int port = server.Port;
        string uri = $"redis://127.0.0.1:{port}";
        try
        {
            var cli = new Cli();
            var restore = Task.Run(() => cli.Restore(uri, dir.File("big.json")));
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (!restore.IsCompleted && int.Parse(server.Cli("dbsize").Trim()) < 1000 && DateTime.UtcNow < deadline) await Task.Delay(10);
            Assert.False(restore.IsCompleted, "the restore finished before the kill: " + cli);
            server.Kill();
            int code = await restore.WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(code == 2, cli.ToString());
            Assert.Contains("run the same restore again", cli.Err.ToString());

            // the server comes back (empty: no persistence); the same restore completes it
            server.Dispose();
            server = new RedisProcess(cluster: false, port);
            var again = new Cli();
            Assert.True(again.Restore(uri, dir.File("big.json")) == 0, again.ToString());
            Assert.True(again.Verify(dir.File("big.json"), uri) == 0, again.ToString());
        }
        finally
        {
            server.Dispose();
        }
    }
}
