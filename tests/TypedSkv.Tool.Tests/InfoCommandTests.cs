using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Tests;

public sealed class InfoCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Info_reports_records_dead_records_and_sizes()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 10);
        using (var store = SkvStore.Open(db))
        {
            store.Put("key:0001", "changed");
            store.Delete("key:0002");
        }

        var r = Cli.Call((o, e) => InfoCommand.Run(o, e, db));

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("records:        9", r.Stdout);
        Assert.Contains("format version: 2", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Info_json_has_every_figure()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 3);

        var json = Cli.Call((o, e) => InfoCommand.Run(o, e, db, new OutputSettings(Json: true))).Json();

        Assert.Equal("info", json.GetProperty("command").GetString());
        Assert.True(json.GetProperty("ok").GetBoolean());
        Assert.Equal(0, json.GetProperty("exitCode").GetInt32());
        Assert.Equal(3, json.GetProperty("records").GetInt64());
        Assert.Equal(0, json.GetProperty("deadRecords").GetInt64());
        Assert.Equal(new FileInfo(db).Length, json.GetProperty("fileSizeBytes").GetInt64());
        Assert.True(json.GetProperty("liveBytes").GetInt64() > 0);
        Assert.Equal(2, json.GetProperty("formatVersion").GetInt32());
        Assert.True(DateTimeOffset.TryParse(json.GetProperty("created").GetString(), out _));
    }

    [Fact]
    public void Info_on_a_missing_store_exits_2_with_one_error_line()
    {
        var r = Cli.Run("info", _dir.File("missing.skv"));

        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"error: store not found: {_dir.File("missing.skv")}", r.Stderr.TrimEnd());
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Info_on_a_file_that_is_not_a_store_is_a_data_problem()
    {
        string path = _dir.File("notes.txt");
        File.WriteAllText(path, "this is not a TypedSkv data file at all, just text");

        var r = Cli.Run("info", path);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("not a TypedSkv data file", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Errors_show_a_stack_trace_only_with_verbose()
    {
        string path = _dir.File("notes.txt");
        File.WriteAllText(path, "this is not a TypedSkv data file at all, just text");

        var quiet = Cli.Run("info", path);
        var verbose = Cli.Run("info", path, "--verbose");

        Assert.Single(quiet.Stderr.TrimEnd().Split('\n'));
        Assert.Contains("SkvFormatException", verbose.Stderr);
        Assert.Contains("   at ", verbose.Stderr);
        Assert.Equal(1, verbose.ExitCode);
    }

    [Fact]
    public void Info_works_while_another_writer_has_the_store_open()
    {
        string db = _dir.File("app.skv");
        using var writer = SkvStore.Open(db, new SkvOptions { Durability = SkvDurability.Flush });
        writer.Put("a", "1");
        writer.Put("b", "2");

        var json = Cli.Run("info", db, "--json").Json();

        Assert.Equal(2, json.GetProperty("records").GetInt64());
    }
}
