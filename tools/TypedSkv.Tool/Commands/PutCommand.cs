using System.CommandLine;
using System.Text;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv put &lt;db&gt; &lt;key&gt; &lt;value&gt;</c>: set one key (creates the store if missing).</summary>
public static class PutCommand
{
    public const string Name = "put";

    public static readonly string[] Examples =
    [
        "dotnet skv put app.skv user:42 '{\"name\":\"Ada\"}'",
        "dotnet skv put app.skv avatar:42 --value-file avatar.png",
        "dotnet skv put app.skv blob AAECAw== --base64",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var key = new Argument<string>("key") { Description = "The key (UTF-8 text, or base64 with --base64-key)." };
        var value = new Argument<string?>("value")
        {
            Description = "The value (UTF-8 text, or base64 with --base64). Leave out with --value-file.",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var valueFile = new Option<string?>("--value-file") { Description = "Read the value's bytes from this file ('-' reads stdin).", HelpName = "file" };
        var base64 = new Option<bool>("--base64") { Description = "The value argument is base64 (for binary values)." };
        var base64Key = new Option<bool>("--base64-key") { Description = "The key argument is base64 (for binary keys)." };
        var wait = CommonOptions.CreateWait();
        var command = new Command(Name, "Set a key to a value (durable when the command returns). Creates the store file if it does not exist; exits 2 when another process has the store open for writing.")
        {
            db, key, value, valueFile, base64, base64Key, wait,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(key), pr.GetValue(value),
            pr.GetValue(valueFile), pr.GetValue(base64), pr.GetValue(base64Key), common.Read(pr), pr.GetValue(wait)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string key, string? value, string? valueFile = null,
        bool base64 = false, bool base64Key = false, OutputSettings? output = null, double? wait = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            byte[] keyBytes = KeyInput.ParseKey(key, base64Key);
            byte[] valueBytes = ReadValue(value, valueFile, base64);
            bool replaced;
            using (var store = Stores.OpenWriter(db, createIfMissing: true, o.Warnings, Stores.Wait(wait)))
            {
                replaced = store.ContainsKey(keyBytes);
                store.Put(keyBytes, valueBytes);
            }
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new PutDocument(JsonBytes.Of(keyBytes).Value, JsonBytes.Of(keyBytes).Encoding, valueBytes.Length, replaced));
            }
            else
            {
                stdout.WriteLine($"{(replaced ? "replaced" : "added")} {KeyFormatter.Describe(keyBytes)} ({valueBytes.Length} bytes)");
            }
            return (int)ExitCode.Ok;
        });

    private static byte[] ReadValue(string? value, string? valueFile, bool base64)
    {
        if (value is not null && valueFile is not null)
            throw SkvToolException.Usage("give the value either as an argument or with --value-file, not both");
        if (valueFile is not null)
        {
            if (base64) throw SkvToolException.Usage("--base64 applies to the value argument, not to --value-file (the file's bytes are stored as they are)");
            if (valueFile == "-")
            {
                using var stdin = Console.OpenStandardInput();
                using var buffer = new MemoryStream();
                stdin.CopyTo(buffer);
                return buffer.ToArray();
            }
            Stores.RequireFile(valueFile, "value file");
            return File.ReadAllBytes(valueFile);
        }
        if (value is null)
            throw SkvToolException.Usage("missing value: give it as an argument or with --value-file <file>");
        return base64 ? KeyInput.FromBase64(value, "--base64") : Encoding.UTF8.GetBytes(value);
    }
}
