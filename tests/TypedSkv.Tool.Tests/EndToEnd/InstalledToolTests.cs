namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>The packed and installed tool, run as a separate process.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Version_from_the_tool_path_and_from_a_local_manifest()
    {
        var installed = tool.Skv(_dir.Path, "--version");
        var local = tool.DotnetSkv("--version");

        Assert.Equal(0, installed.ExitCode);
        Assert.Equal(ToolFixture.PackageVersion, installed.Stdout.Trim());
        Assert.Equal(0, local.ExitCode);
        Assert.Equal(ToolFixture.PackageVersion, local.Stdout.Trim());
    }

    [Fact]
    public void Local_manifest_tool_runs_commands()
    {
        string db = _dir.File("app.skv");

        Assert.Equal(0, tool.DotnetSkv("put", db, "greeting", "hello").ExitCode);
        var get = tool.DotnetSkv("get", db, "greeting");

        Assert.Equal(0, get.ExitCode);
        Assert.Equal("hello", get.Stdout.Trim());
    }

    [Fact]
    public void Put_get_list_info_with_json_that_parses()
    {
        string db = _dir.File("app.skv");

        var put = tool.Skv(_dir.Path, "put", "app.skv", "user:1", "Ada", "--json");
        tool.Skv(_dir.Path, "put", "app.skv", "user:2", "Grace");
        var get = tool.Skv(_dir.Path, "get", "app.skv", "user:1", "--json");
        var list = tool.Skv(_dir.Path, "list", "app.skv", "--values", "--json");
        var info = tool.Skv(_dir.Path, "info", db, "--json");

        Assert.True(put.Json().GetProperty("ok").GetBoolean());
        Assert.Equal("Ada", get.Json().GetProperty("value").GetString());
        Assert.Equal(2, list.Json().GetProperty("count").GetInt32());
        Assert.Equal(2, info.Json().GetProperty("records").GetInt64());
        Assert.All([put, get, list, info], r => Assert.Equal("", r.Stderr));
    }

    [Fact]
    public void Missing_file_exits_2()
    {
        var r = tool.Skv(_dir.Path, "info", "missing.skv");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("error: store not found: missing.skv", r.Stderr.Trim());
        Assert.Equal("", r.Stdout);
    }

    [Fact]
    public void Bad_option_exits_2_without_help_on_stdout()
    {
        TestStores.Create(_dir.File("app.skv"), 1);

        var r = tool.Skv(_dir.Path, "list", "app.skv", "--limit", "-1", "--bogus");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("error:", r.Stderr);
        Assert.DoesNotContain("   at ", r.Stderr);
    }

    [Fact]
    public void Corrupt_store_check_exits_1()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 30);
        TestStores.FlipByteOf(db, TestStores.ValueOf(10));

        var r = tool.Skv(_dir.Path, "check", db, "--json");

        Assert.Equal(1, r.ExitCode);
        Assert.False(r.Json().GetProperty("ok").GetBoolean());
        Assert.StartsWith("error: ", r.Stderr);
    }

    [Fact]
    public void Read_commands_work_while_another_process_writes_and_writes_are_refused()
    {
        string db = _dir.File("app.skv");
        using (var writer = WriterProcess.Hold(db))
        {
            var check = tool.Skv(_dir.Path, "check", db);
            var put = tool.Skv(_dir.Path, "put", db, "x", "y");

            Assert.Equal(0, check.ExitCode);
            Assert.Equal(2, put.ExitCode);
            Assert.Contains("open for writing", put.Stderr);
        }

        using (var writer = WriterProcess.Puts(db, acked: 20))
        {
            var info = tool.Skv(_dir.Path, "info", db, "--json");
            var list = tool.Skv(_dir.Path, "list", db, "--json");

            Assert.Equal(0, info.ExitCode);
            Assert.True(info.Json().GetProperty("records").GetInt64() >= 20);
            Assert.True(list.Json().GetProperty("count").GetInt32() >= 20);
        }
    }
}
