using System.CommandLine;

namespace TypedSkv.Tool.Tests;

/// <summary>The command line itself: usage errors are exit 2, help has examples, --version.</summary>
public sealed class ParsingTests
{
    [Fact]
    public void Version_prints_the_package_version()
    {
        var r = Cli.Run("--version");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("0.1.0", r.Stdout.Trim());
    }

    [Fact]
    public void Every_command_has_help_with_an_example_and_the_exit_codes()
    {
        var root = SkvCli.BuildRootCommand(TextWriter.Null, TextWriter.Null);
        Assert.NotEmpty(root.Subcommands);
        foreach (var command in root.Subcommands)
        {
            var r = Cli.Run(command.Name, "--help");

            Assert.Equal(0, r.ExitCode);
            Assert.Contains("Examples:", r.Stdout);
            Assert.Contains($"dotnet skv {command.Name} ", r.Stdout);
            Assert.Contains("Exit codes:", r.Stdout);
            Assert.Contains("2  usage or I/O error", r.Stdout);
        }
    }

    [Fact]
    public void Root_help_lists_exit_codes_and_examples()
    {
        var r = Cli.Run("--help");

        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1  data problem", r.Stdout);
        Assert.Contains("Examples:", r.Stdout);
    }

    [Theory]
    [InlineData("frobnicate")]                            // unknown command
    [InlineData("info")]                                  // missing argument
    [InlineData("info", "a.skv", "--bogus")]              // unknown option
    [InlineData("info", "a.skv", "extra")]                // too many arguments
    [InlineData("list", "a.skv", "--limit")]              // option without its value
    [InlineData("restore", "a.skv", "b.json", "--mode", "sideways")]
    [InlineData("put", "a.skv", "k", "v", "--wait", "soon")]
    public void Usage_errors_exit_2_with_errors_on_stderr_and_nothing_on_stdout(params string[] args)
    {
        var r = Cli.Run(args);

        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.StartsWith("error: ", r.Stderr);
        Assert.EndsWith("--help' for usage.", r.Stderr.TrimEnd());
        Assert.Single(r.Stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void Usage_errors_with_json_still_print_one_json_document()
    {
        var r = Cli.Run("info", "a.skv", "--bogus", "--json");

        Assert.Equal(2, r.ExitCode);
        var json = r.Json();
        Assert.False(json.GetProperty("ok").GetBoolean());
        Assert.Equal(2, json.GetProperty("exitCode").GetInt32());
        Assert.Contains("--bogus", json.GetProperty("error").GetString());
    }

    [Fact]
    public void Help_is_not_a_usage_error_even_when_arguments_are_missing()
    {
        var r = Cli.Run("get", "--help");

        Assert.Equal(0, r.ExitCode);
        Assert.Equal("", r.Stderr);
    }

    [Fact]
    public void Json_and_verbose_are_accepted_by_every_command()
    {
        var root = SkvCli.BuildRootCommand(TextWriter.Null, TextWriter.Null);
        foreach (var command in root.Subcommands)
        {
            string[] args = [command.Name, .. command.Arguments.Select(_ => "x"), "--json", "--verbose"];
            var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
            Assert.Empty(parsed.Errors);
        }
    }
}

/// <summary>Issue 13 item 13: messages and conventions.</summary>
public sealed class MessageTests : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Bare_dotnet_skv_prints_help_with_usage_lines_saying_dotnet_skv()
    {
        var bare = Cli.Run();
        var restoreHelp = Cli.Run("restore", "--help");

        Assert.Equal(0, bare.ExitCode);
        Assert.Contains("Usage:", bare.Stdout);
        Assert.Contains("  dotnet skv [command] [options]", bare.Stdout);
        Assert.Contains("  dotnet skv restore <db> <file>... [options]", restoreHelp.Stdout); // a file, or a chain of them
        Assert.DoesNotContain("dotnet-skv", restoreHelp.Stdout);
    }

    [Fact]
    public void No_internal_type_name_or_runtime_text_reaches_the_user()
    {
        TestStores.Create(_dir.File("app.skv"), 1);
        Directory.CreateDirectory(_dir.File("adir"));

        var mode = Cli.Run("restore", _dir.File("app.skv"), _dir.File("b.json"), "--mode", "sideways");
        var toDir = Cli.Run("backup", _dir.File("app.skv"), _dir.File("adir"));
        var toProc = Cli.Run("backup", _dir.File("app.skv"), "/proc/x.json");
        var redisInfo = Cli.Run("info", "redis://127.0.0.1:1");

        Assert.Contains("--mode must be merge or replace, not 'sideways'", mode.Stderr);
        Assert.DoesNotContain("RestoreModeArg", mode.Stderr);
        Assert.Equal(2, toDir.ExitCode);
        Assert.Contains("is a directory", toDir.Stderr);
        Assert.DoesNotContain(" : '", toDir.Stderr);
        Assert.Equal(2, toProc.ExitCode);
        Assert.DoesNotContain(".tmp-", toProc.Stderr);
        Assert.Contains("cannot write the backup /proc/x.json", toProc.Stderr);
        Assert.Equal(2, redisInfo.ExitCode);
        Assert.Contains("backup, restore and verify --db", redisInfo.Stderr);
    }

    [Fact]
    public void Verify_and_check_print_each_problem_once()
    {
        TestStores.Create(_dir.File("app.skv"), 5);
        Assert.Equal(0, Cli.Run("backup", _dir.File("app.skv"), _dir.File("b.json")).ExitCode);
        File.WriteAllText(_dir.File("b.json"), File.ReadAllText(_dir.File("b.json")).Replace("\"total_records\": 5", "\"total_records\": 6"));
        TestStores.FlipByteOf(_dir.File("app.skv"), TestStores.ValueOf(2));

        var verify = Cli.Run("verify", _dir.File("b.json"));
        var check = Cli.Run("check", _dir.File("app.skv"));

        Assert.Equal(1, verify.ExitCode);
        Assert.Equal(1, check.ExitCode);
        foreach (var r in new[] { verify, check })
        {
            string all = r.Stdout + r.Stderr;
            string problem = r.Stdout.Split('\n')[1].Trim();
            Assert.Equal(1, (all.Length - all.Replace(problem, "").Length) / problem.Length);
        }
    }

    [Fact]
    public void Restore_into_a_new_store_creates_its_folder_as_backup_does()
    {
        TestStores.Create(_dir.File("app.skv"), 2);
        Assert.Equal(0, Cli.Run("backup", _dir.File("app.skv"), _dir.File("new/dir/b.json")).ExitCode);

        var r = Cli.Run("restore", _dir.File("other/dir/new.skv"), _dir.File("new/dir/b.json"));

        Assert.Equal(0, r.ExitCode);
        Assert.True(File.Exists(_dir.File("other/dir/new.skv")));
    }
}
