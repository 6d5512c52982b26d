using TypedSkv.Tool.Commands;

namespace TypedSkv.Tool.Tests;

public sealed class ListCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("app.skv");

    [Fact]
    public void Lists_keys_in_order_with_prefix_and_limit()
    {
        using (var store = SkvStore.Open(Db))
        {
            store.Put("user:2", "b");
            store.Put("user:1", "a");
            store.Put("order:1", "o");
            store.Put("user:3", "c");
        }

        var all = Cli.Call((o, e) => ListCommand.Run(o, e, Db));
        var limited = Cli.Call((o, e) => ListCommand.Run(o, e, Db, prefix: "user:", limit: 2));

        Assert.Equal(["order:1", "user:1", "user:2", "user:3"], Lines(all.Stdout));
        Assert.Equal(["user:1", "user:2"], Lines(limited.Stdout));
        Assert.Contains("--limit", limited.Stderr);
    }

    [Fact]
    public void Values_are_shown_safely()
    {
        using (var store = SkvStore.Open(Db))
        {
            store.Put("text", "plain");
            store.Put("multi", "line1\nline2\u001b[31m");
            store.Put("bin"u8, new byte[] { 0xFF, 0xFE, 0x00 });
            store.Put(new byte[] { 0xC0, 0x01 }, "binary key"u8);
        }

        var r = Cli.Run("list", Db, "--values");

        Assert.Equal(0, r.ExitCode);
        var lines = Lines(r.Stdout);
        Assert.Contains("bin\tbase64://4A", lines);
        Assert.Contains("multi\t\"line1\\nline2\\u001b[31m\"", lines);
        Assert.Contains("text\tplain", lines);
        Assert.Contains("base64:wAE=\tbinary key", lines);
        Assert.DoesNotContain('\u001b', r.Stdout);
    }

    [Fact]
    public void Json_lists_entries_with_encodings()
    {
        using (var store = SkvStore.Open(Db))
        {
            store.Put("a", "1");
            store.Put("b"u8, new byte[] { 0xFF });
        }

        var json = Cli.Run("list", Db, "--values", "--json", "--limit", "5").Json();

        Assert.Equal(2, json.GetProperty("count").GetInt32());
        Assert.False(json.GetProperty("truncated").GetBoolean());
        var entries = json.GetProperty("entries").EnumerateArray().ToArray();
        Assert.Equal("a", entries[0].GetProperty("key").GetString());
        Assert.Equal("text", entries[0].GetProperty("valueEncoding").GetString());
        Assert.Equal("/w==", entries[1].GetProperty("value").GetString());
        Assert.Equal("base64", entries[1].GetProperty("valueEncoding").GetString());
    }

    [Fact]
    public void Long_values_are_cut_in_text_output_only()
    {
        using (var store = SkvStore.Open(Db)) store.Put("big", new string('x', 5000));

        var text = Cli.Run("list", Db, "--values");
        var json = Cli.Run("list", Db, "--values", "--json").Json();

        Assert.EndsWith("... (5000 bytes)", Lines(text.Stdout)[0]);
        Assert.Equal(5000, json.GetProperty("entries")[0].GetProperty("value").GetString()!.Length);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    public void A_bad_limit_exits_2(string limit)
    {
        TestStores.Create(Db, 1);

        var r = Cli.Run("list", Db, "--limit", limit);

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("error:", r.Stderr);
        Assert.Equal("", r.Stdout);
    }

    private static string[] Lines(string s) => s.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
}
