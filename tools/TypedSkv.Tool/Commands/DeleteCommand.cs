using System.CommandLine;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv delete &lt;db&gt; &lt;key&gt;</c>: remove one key.</summary>
public static class DeleteCommand
{
    public const string Name = "delete";

    public static readonly string[] Examples =
    [
        "dotnet skv delete app.skv session:9f2c",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var key = new Argument<string>("key") { Description = "The key (UTF-8 text, or base64 with --base64-key)." };
        var base64Key = new Option<bool>("--base64-key") { Description = "The key argument is base64 (for binary keys)." };
        var wait = CommonOptions.CreateWait();
        var command = new Command(Name, "Remove a key. Deleting a key that does not exist is not an error (exit 0, reported as not found).")
        {
            db, key, base64Key, wait,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(key), pr.GetValue(base64Key), common.Read(pr), pr.GetValue(wait)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string key, bool base64Key = false, OutputSettings? output = null, double? wait = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            byte[] keyBytes = KeyInput.ParseKey(key, base64Key);
            bool deleted;
            using (var store = Stores.OpenWriter(db, createIfMissing: false, o.Warnings, Stores.Wait(wait)))
                deleted = store.Delete(keyBytes);
            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new DeleteDocument(JsonBytes.Of(keyBytes).Value, JsonBytes.Of(keyBytes).Encoding, deleted));
            }
            else
            {
                stdout.WriteLine(deleted
                    ? $"deleted {KeyFormatter.Describe(keyBytes)}"
                    : $"not found: {KeyFormatter.Describe(keyBytes)} (nothing deleted)");
            }
            return (int)ExitCode.Ok;
        });
}
