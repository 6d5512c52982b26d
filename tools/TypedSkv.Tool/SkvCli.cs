using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Reflection;
using TypedSkv.Tool.Commands;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool;

/// <summary>
/// The <c>dotnet skv</c> command tree and its entry point. <see cref="Run"/> is what Program calls and what
/// tests call in-process with their own writers.
/// </summary>
public static class SkvCli
{
    public const string ExitCodesHelp =
        "0  ok\n" +
        "1  data problem: a backup failed verification, a store failed its integrity check or is damaged\n" +
        "2  usage or I/O error: bad arguments or options, missing file, store locked by another writer\n" +
        "3  get: the key does not exist\n" +
        "130  interrupted (Ctrl-C): nothing was written";

    /// <summary>Parses and runs one command line; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        // bare "dotnet skv" shows what it can do
        if (args.Length == 0) args = ["--help"];
        bool json = args.Contains("--json");
        bool verbose = args.Contains("--verbose");
        try
        {
            var root = BuildRootCommand(stdout, stderr);
            // '@' must not read a response file: "get app.skv @home" means the key "@home"
            var parseResult = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });

            if (parseResult.Action is ParseErrorAction)
            {
                // parse errors would exit 1 and print the whole help to stdout: a usage error is 2, and says what was wrong
                bool atRoot = parseResult.CommandResult.Command is RootCommand;
                string command = atRoot ? "dotnet skv" : "dotnet skv " + parseResult.CommandResult.Command.Name;
                // one line, like every other error
                string errors = string.Join(" ", parseResult.Errors.Select(e => CommandRunner.OneLine(e.Message)));
                stderr.WriteLine($"error: {errors} Run '{command} --help' for usage.");
                if (json)
                    JsonOutput.Write(stdout, atRoot ? "dotnet-skv" : parseResult.CommandResult.Command.Name, ExitCode.UsageOrIoError, new ErrorDocument(errors));
                return (int)ExitCode.UsageOrIoError;
            }

            return parseResult.Invoke(new InvocationConfiguration
            {
                Output = stdout,
                Error = stderr,
                EnableDefaultExceptionHandler = false,
            });
        }
        catch (Exception ex)
        {
            // the commands catch their own errors; this is for anything the parser or the framework throws
            var (code, message) = ErrorMapping.Map(ex);
            CommandRunner.ReportError("dotnet-skv", stdout, stderr, new OutputSettings(json, verbose), code, message, ex);
            return (int)code;
        }
    }

    public static RootCommand BuildRootCommand(TextWriter stdout, TextWriter stderr)
    {
        var common = new CommonOptions();
        var root = new RootCommand(
            "dotnet skv: back up, restore, verify, check, compact, recover and inspect TypedSkv stores.\n" +
            "The store's data file path comes first. --json writes one JSON document to stdout.\n\n" +
            "Exit codes:\n" + Indent(ExitCodesHelp))
        {
            common.Json,
            common.Verbose,
        };

        var examples = new Dictionary<Command, string[]>();
        void Add(Command command, string[] commandExamples)
        {
            root.Add(command);
            examples[command] = commandExamples;
        }

        Add(BackupCommand.Create(common, stdout, stderr), BackupCommand.Examples);
        Add(RestoreCommand.Create(common, stdout, stderr), RestoreCommand.Examples);
        Add(VerifyCommand.Create(common, stdout, stderr), VerifyCommand.Examples);
        Add(CheckCommand.Create(common, stdout, stderr), CheckCommand.Examples);
        Add(CompactCommand.Create(common, stdout, stderr), CompactCommand.Examples);
        Add(RecoverCommand.Create(common, stdout, stderr), RecoverCommand.Examples);
        Add(InfoCommand.Create(common, stdout, stderr), InfoCommand.Examples);
        Add(GetCommand.Create(common, stdout, stderr), GetCommand.Examples);
        Add(PutCommand.Create(common, stdout, stderr), PutCommand.Examples);
        Add(DeleteCommand.Create(common, stdout, stderr), DeleteCommand.Examples);
        Add(ListCommand.Create(common, stdout, stderr), ListCommand.Examples);
        examples[root] = [.. examples.Values.Select(e => e[0])];

        foreach (var option in root.Options)
        {
            if (option is HelpOption { Action: HelpAction help }) option.Action = new ExamplesHelpAction(help, examples);
            // the default prints the entry assembly's version, which is the test host's when tests run the CLI in-process
            if (option is VersionOption) option.Action = new ToolVersionAction();
        }
        return root;
    }

    /// <summary>The tool's version (PackageVersion), e.g. 0.1.0.</summary>
    public static string Version { get; } =
        typeof(SkvCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(SkvCli).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private sealed class ToolVersionAction : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(Version);
            return (int)ExitCode.Ok;
        }
    }

    /// <summary>The standard help, followed by examples (and, for commands, the exit codes).</summary>
    private sealed class ExamplesHelpAction(HelpAction inner, Dictionary<Command, string[]> examples) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var output = parseResult.InvocationConfiguration.Output;
            // the usage lines name the executable (dotnet-skv); users type "dotnet skv"
            var captured = new StringWriter();
            parseResult.InvocationConfiguration.Output = captured;
            try
            {
                inner.Invoke(parseResult);
            }
            finally
            {
                parseResult.InvocationConfiguration.Output = output;
            }
            string executable = parseResult.RootCommandResult.Command.Name;
            output.Write(captured.ToString().Replace($"  {executable} ", "  dotnet skv ", StringComparison.Ordinal));
            var command = parseResult.CommandResult.Command;
            if (examples.TryGetValue(command, out var lines))
            {
                output.WriteLine("Examples:");
                foreach (string line in lines) output.WriteLine("  " + line);
                output.WriteLine();
                if (command is not RootCommand)
                {
                    output.WriteLine("Exit codes:");
                    output.WriteLine(Indent(ExitCodesHelp));
                    output.WriteLine();
                }
            }
            return (int)ExitCode.Ok;
        }
    }

    private static string Indent(string text) =>
        string.Join(Environment.NewLine, text.Split('\n').Select(l => "  " + l));
}
