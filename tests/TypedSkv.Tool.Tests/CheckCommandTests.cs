using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Tests;

public sealed class CheckCommandTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_healthy_store_passes()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 50);

        var r = Cli.Call((o, e) => CheckCommand.Run(o, e, db));

        Assert.Equal(0, r.ExitCode);
        Assert.StartsWith($"ok: {db}: 50 records, 50 values read and verified", r.Stdout);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Damage_in_the_middle_exits_1_with_its_offset()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 50);
        long flipped = TestStores.FlipByteOf(db, TestStores.ValueOf(20));
        byte[] before = File.ReadAllBytes(db);

        var r = Cli.Run("check", db, "--json");

        Assert.Equal(1, r.ExitCode);
        var json = r.Json();
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal(1, json.GetProperty("exitCode").GetInt32());
        var problem = Assert.Single(json.GetProperty("problems").EnumerateArray());
        long offset = problem.GetProperty("offset").GetInt64();
        Assert.InRange(offset, flipped - 16 - 64, flipped); // the damaged record's start
        Assert.Contains("checksum", problem.GetProperty("message").GetString());
        Assert.StartsWith($"error: {db} failed the integrity check: offset {offset}", r.Stderr);
        Assert.Equal(before, File.ReadAllBytes(db)); // check repairs nothing
    }

    [Fact]
    public void A_torn_tail_exits_1_and_is_not_repaired()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 5);
        long validLength = new FileInfo(db).Length;
        using (var f = new FileStream(db, FileMode.Append))
            f.Write([0x13, 0x37, 0x00, 0x01, 0x02, 0x03, 0x04]); // half a record header

        var r = Cli.Run("check", db, "--json");

        Assert.Equal(1, r.ExitCode);
        var torn = r.Json().GetProperty("tornTail");
        Assert.Equal(validLength, torn.GetProperty("offset").GetInt64());
        Assert.Equal(7, torn.GetProperty("bytes").GetInt64());
        Assert.Equal(validLength + 7, new FileInfo(db).Length);
        Assert.Contains("torn tail", r.Stderr);
    }

    [Fact]
    public void Damage_in_the_last_record_is_reported_as_a_torn_tail()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 5);
        TestStores.FlipByteOf(db, TestStores.ValueOf(4));

        var r = Cli.Run("check", db);

        Assert.Equal(1, r.ExitCode);
        Assert.StartsWith($"FAILED: {db}: 1 problem(s)", r.Stdout);
        Assert.Contains("torn tail", r.Stdout);
    }

    [Fact]
    public void A_damaged_file_header_exits_1()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 3);
        byte[] bytes = File.ReadAllBytes(db);
        bytes[17] ^= 0xFF; // creation time, covered by the header checksum
        File.WriteAllBytes(db, bytes);

        var r = Cli.Run("check", db);

        Assert.Equal(1, r.ExitCode);
        Assert.Contains("header checksum", r.Stdout);
        Assert.StartsWith("error: ", r.Stderr);
    }

    [Fact]
    public void A_missing_store_exits_2()
    {
        var r = Cli.Call((o, e) => CheckCommand.Run(o, e, _dir.File("nope.skv"), new OutputSettings(Json: true)));

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(2, r.Json().GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void Check_works_while_another_writer_has_the_store_open()
    {
        string db = _dir.File("app.skv");
        using var writer = SkvStore.Open(db, new SkvOptions { Durability = SkvDurability.Flush });
        for (int i = 0; i < 100; i++) writer.Put(TestStores.KeyOf(i), TestStores.ValueOf(i));

        var r = Cli.Run("check", db);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("100 records", r.Stdout);
    }
}
