namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>Issue 13 item 7: dotnet skv recover, through the installed tool.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolRecoverTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    [Fact]
    public void A_store_damaged_in_the_middle_is_salvaged_around_the_damage()
    {
        string db = _dir.File("d.skv");
        TestStores.Create(db, 100);
        long at = TestStores.FlipByteOf(db, TestStores.ValueOf(50));
        Assert.Equal(1, Skv("check", "d.skv").ExitCode);
        Assert.Equal(1, Skv("info", "d.skv").ExitCode);

        var r = Skv("recover", "d.skv", "r.skv", "--json");

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        var json = r.Json();
        Assert.Equal(99, json.GetProperty("keys").GetInt64());
        var range = Assert.Single(json.GetProperty("damagedRanges").EnumerateArray());
        Assert.InRange(at, range.GetProperty("offset").GetInt64(), range.GetProperty("offset").GetInt64() + range.GetProperty("bytes").GetInt64());
        Assert.False(range.GetProperty("atEnd").GetBoolean());
        Assert.Equal(0, Skv("check", "r.skv").ExitCode);
        using var store = SkvStore.OpenReadOnly(_dir.File("r.skv"));
        Assert.Equal(TestStores.ValueOf(51), store.GetString(TestStores.KeyOf(51)));
        Assert.False(store.ContainsKey(TestStores.KeyOf(50)));
    }

    [Fact]
    public void An_intact_store_recovers_whole_with_exit_0_keeping_each_keys_last_committed_state()
    {
        string db = _dir.File("ok.skv");
        using (var s = SkvStore.Open(db))
        {
            s.Put("a", "1");
            s.Put("a", "2");
            s.Put("b", "x");
            s.Delete("b");
            var batch = new SkvWriteBatch();
            batch.Put("c", "3");
            batch.Put("d", "4");
            s.Write(batch);
        }

        var r = Skv("recover", "ok.skv", "copy.skv");

        Assert.True(r.ExitCode == 0, r.ToString());
        using var store = SkvStore.OpenReadOnly(_dir.File("copy.skv"));
        Assert.Equal(["a=2", "c=3", "d=4"], store.Scan().Select(e => $"{e.KeyString}={System.Text.Encoding.UTF8.GetString(e.GetValue())}"));
    }

    [Fact]
    public void A_torn_transaction_at_the_end_is_dropped_whole_and_reported()
    {
        TestStores.Create(_dir.File("src.skv"), 30);
        Assert.Equal(0, Skv("backup", "src.skv", "b.json").ExitCode);
        Assert.Equal(0, Skv("restore", "t.skv", "b.json").ExitCode);
        using (var f = new FileStream(_dir.File("t.skv"), FileMode.Open)) f.SetLength(f.Length - 5);

        var r = Skv("recover", "t.skv", "r.skv", "--json");

        Assert.Equal(1, r.ExitCode);
        Assert.Equal(30, r.Json().GetProperty("discardedBatchRecords").GetInt64());
        Assert.True(Assert.Single(r.Json().GetProperty("damagedRanges").EnumerateArray()).GetProperty("atEnd").GetBoolean());
    }

    [Fact]
    public void Recover_never_overwrites_an_existing_store()
    {
        TestStores.Create(_dir.File("a.skv"), 3);
        TestStores.Create(_dir.File("b.skv"), 5);
        byte[] before = File.ReadAllBytes(_dir.File("b.skv"));

        var r = Skv("recover", "a.skv", "b.skv");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(before, File.ReadAllBytes(_dir.File("b.skv")));
    }
}
