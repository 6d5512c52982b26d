using TypedSkv.Tool.Commands;

namespace TypedSkv.Tool.Tests;

public sealed class CompactCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Compact_drops_dead_records()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 20);
        using (var store = SkvStore.Open(db))
        {
            for (int i = 0; i < 10; i++) store.Delete(TestStores.KeyOf(i));
        }
        long before = new FileInfo(db).Length;

        var json = Cli.Run("compact", db, "--json").Json();

        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(10, json.GetProperty("liveRecords").GetInt64());
        Assert.Equal(before, json.GetProperty("bytesBefore").GetInt64());
        Assert.True(json.GetProperty("bytesReclaimed").GetInt64() > 0);
        Assert.Equal(new FileInfo(db).Length, json.GetProperty("bytesAfter").GetInt64());
        Assert.Equal(0, Cli.Run("info", db, "--json").Json().GetProperty("deadRecords").GetInt64());
    }

    [Fact]
    public void Compact_of_a_locked_store_exits_2()
    {
        string db = _dir.File("app.skv");
        using var writer = SkvStore.Open(db);

        var r = Cli.Call((o, e) => CompactCommand.Run(o, e, db));

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.Contains("open for writing", r.Stderr);
    }

    [Fact]
    public void Compact_does_not_create_a_missing_store()
    {
        string db = _dir.File("missing.skv");

        var r = Cli.Run("compact", db);

        Assert.Equal(2, r.ExitCode);
        Assert.False(File.Exists(db));
    }
}
