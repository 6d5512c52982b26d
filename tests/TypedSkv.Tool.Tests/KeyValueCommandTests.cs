using System.Text;
using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Tests;

/// <summary>get, put, delete.</summary>
public sealed class KeyValueCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Db => _dir.File("app.skv");

    [Fact]
    public void Put_creates_the_store_and_get_prints_the_value()
    {
        var put = Cli.Call((o, e) => PutCommand.Run(o, e, Db, "user:1", "Ada Lovelace"));
        var get = Cli.Call((o, e) => GetCommand.Run(o, e, Db, "user:1"));

        Assert.Equal(0, put.ExitCode);
        Assert.Equal("added \"user:1\" (12 bytes)", put.Stdout.TrimEnd());
        Assert.Equal(0, get.ExitCode);
        Assert.Equal("Ada Lovelace" + Environment.NewLine, get.Stdout);
    }

    [Fact]
    public void Put_reports_a_replaced_key_in_json()
    {
        Cli.Run("put", Db, "k", "one");

        var json = Cli.Run("put", Db, "k", "two", "--json").Json();

        Assert.True(json.GetProperty("replaced").GetBoolean());
        Assert.Equal("k", json.GetProperty("key").GetString());
        Assert.Equal(3, json.GetProperty("valueLength").GetInt32());
        using var store = SkvStore.OpenReadOnly(Db);
        Assert.Equal("two", store.GetString("k"));
    }

    [Fact]
    public void Binary_values_round_trip_through_base64_and_files()
    {
        byte[] blob = [0x00, 0xFF, 0x10, 0x80, 0x7F];
        string valueFile = _dir.File("blob.bin");
        File.WriteAllBytes(valueFile, blob);

        Assert.Equal(0, Cli.Run("put", Db, "b64", Convert.ToBase64String(blob), "--base64").ExitCode);
        Assert.Equal(0, Cli.Run("put", Db, "file", "--value-file", valueFile).ExitCode);
        var get = Cli.Run("get", Db, "b64");
        var json = Cli.Run("get", Db, "file", "--json").Json();
        var toFile = Cli.Run("get", Db, "file", "--out", _dir.File("out.bin"));

        Assert.Equal(Convert.ToBase64String(blob), get.Stdout.TrimEnd());
        Assert.Contains("binary", get.Stderr);
        Assert.Equal("base64", json.GetProperty("valueEncoding").GetString());
        Assert.Equal(blob, Convert.FromBase64String(json.GetProperty("value").GetString()!));
        Assert.Equal(0, toFile.ExitCode);
        Assert.Equal(blob, File.ReadAllBytes(_dir.File("out.bin")));
    }

    [Fact]
    public void Binary_keys_use_base64_key()
    {
        byte[] key = [0x01, 0x00, 0xFE];
        string k = Convert.ToBase64String(key);

        Assert.Equal(0, Cli.Run("put", Db, k, "v", "--base64-key").ExitCode);
        var json = Cli.Run("get", Db, k, "--base64-key", "--json").Json();
        var deleted = Cli.Run("delete", Db, k, "--base64-key", "--json").Json();

        Assert.Equal(k, json.GetProperty("key").GetString());
        Assert.Equal("base64", json.GetProperty("keyEncoding").GetString());
        Assert.Equal("v", json.GetProperty("value").GetString());
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public void A_key_starting_with_at_is_a_key_not_a_response_file()
    {
        Assert.Equal(0, Cli.Run("put", Db, "@home", "x").ExitCode);

        var get = Cli.Run("get", Db, "@home");

        Assert.Equal(0, get.ExitCode);
        Assert.Equal("x", get.Stdout.TrimEnd());
    }

    [Fact]
    public void Get_of_a_missing_key_exits_3_its_own_code()
    {
        Cli.Run("put", Db, "a", "1");

        var r = Cli.Call((o, e) => GetCommand.Run(o, e, Db, "zzz", output: new OutputSettings(Json: true)));

        Assert.Equal(3, r.ExitCode); // not 2, which a locked store also gives
        Assert.Equal("error: key not found: \"zzz\"", r.Stderr.TrimEnd());
        Assert.Equal("key not found: \"zzz\"", r.Json().GetProperty("error").GetString());
    }

    [Fact]
    public void Get_does_not_create_a_missing_store()
    {
        var r = Cli.Run("get", Db, "a");

        Assert.Equal(2, r.ExitCode);
        Assert.False(File.Exists(Db));
    }

    [Fact]
    public void Delete_removes_and_is_idempotent()
    {
        Cli.Run("put", Db, "a", "1");

        var first = Cli.Call((o, e) => DeleteCommand.Run(o, e, Db, "a"));
        var second = Cli.Call((o, e) => DeleteCommand.Run(o, e, Db, "a", output: new OutputSettings(Json: true)));

        Assert.Equal(0, first.ExitCode);
        Assert.Equal("deleted \"a\"", first.Stdout.TrimEnd());
        Assert.Equal(0, second.ExitCode);
        Assert.False(second.Json().GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public void Writes_to_a_store_locked_by_another_writer_exit_2()
    {
        Cli.Run("put", Db, "a", "1");
        using var writer = SkvStore.Open(Db);

        var put = Cli.Run("put", Db, "b", "2", "--json");
        var delete = Cli.Run("delete", Db, "a");
        var get = Cli.Run("get", Db, "a"); // reads still work

        Assert.Equal(2, put.ExitCode);
        Assert.False(put.Json().GetProperty("ok").GetBoolean());
        Assert.Contains("open for writing", put.Stderr);
        Assert.Equal(2, delete.ExitCode);
        Assert.Equal(0, get.ExitCode);
    }

    [Theory]
    [InlineData("put", "app.skv", "k")]                                  // no value
    [InlineData("put", "app.skv", "k", "v", "--value-file", "x.bin")]   // value twice
    [InlineData("put", "app.skv", "k", "%%%", "--base64")]              // bad base64 value
    [InlineData("get", "app.skv", "%%%", "--base64-key")]               // bad base64 key
    [InlineData("put", "app.skv", "k", "--value-file", "missing.bin")]  // missing value file
    public void Bad_input_exits_2_without_writing(params string[] args)
    {
        string[] resolved = args.Select(a => a.EndsWith(".skv") || a.EndsWith(".bin") ? _dir.File(a) : a).ToArray();

        var r = Cli.Run(resolved);

        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.False(File.Exists(Db));
    }

    [Fact]
    public void Oversized_key_exits_2()
    {
        var r = Cli.Run("put", Db, new string('k', 1025), "v");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("1 to 1024 bytes", r.Stderr);
    }

    [Fact]
    public void Unicode_text_round_trips()
    {
        Cli.Run("put", Db, "grüße", "日本語 ✓");

        var json = Cli.Run("get", Db, "grüße", "--json").Json();

        Assert.Equal("日本語 ✓", json.GetProperty("value").GetString());
        Assert.Equal("text", json.GetProperty("valueEncoding").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount("日本語 ✓"), json.GetProperty("valueLength").GetInt32());
    }
}
