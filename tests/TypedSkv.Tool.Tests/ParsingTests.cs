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
    [InlineData]                                          // no command
    [InlineData("frobnicate")]                            // unknown command
    [InlineData("info")]                                  // missing argument
    [InlineData("info", "a.skv", "--bogus")]              // unknown option
    [InlineData("info", "a.skv", "extra")]                // too many arguments
    [InlineData("list", "a.skv", "--limit")]              // option without its value
    [InlineData("restore", "a.skv", "b.json", "--mode", "sideways")]
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
