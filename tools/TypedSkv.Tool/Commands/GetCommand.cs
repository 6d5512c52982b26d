using System.CommandLine;
using System.Text;
using System.Text.Unicode;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv get &lt;db&gt; &lt;key&gt;</c>: print one value (or write it to a file).</summary>
public static class GetCommand
{
    public const string Name = "get";

    public static readonly string[] Examples =
    [
        "dotnet skv get app.skv user:42",
        "dotnet skv get app.skv AAEC --base64-key --out value.bin",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var key = new Argument<string>("key") { Description = "The key (UTF-8 text, or base64 with --base64-key)." };
        var base64Key = new Option<bool>("--base64-key") { Description = "The key argument is base64 (for binary keys)." };
        var outFile = new Option<string?>("--out") { Description = "Write the raw value bytes to this file instead of printing it.", HelpName = "file" };
        var command = new Command(Name, "Print the value of a key: text as it is, binary as base64 (use --out for the raw bytes). A missing key exits 3. Read-only.")
        {
            db, key, base64Key, outFile,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetRequiredValue(key),
            pr.GetValue(base64Key), pr.GetValue(outFile), common.Read(pr)));
        return command;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string key, bool base64Key = false,
        string? outFile = null, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            byte[] keyBytes = KeyInput.ParseKey(key, base64Key);
            byte[] value;
            using (var store = Stores.OpenReadOnly(db, o.Warnings))
            {
                if (!store.TryGet(keyBytes, out byte[]? found))
                    throw new SkvToolException(ExitCode.KeyNotFound, $"key not found: {KeyFormatter.Describe(keyBytes)}");
                value = found;
            }
            if (outFile is not null) File.WriteAllBytes(outFile, value);

            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, Document(keyBytes, value, outFile));
            }
            else if (outFile is not null)
            {
                stdout.WriteLine($"wrote {value.Length} bytes to {outFile}");
            }
            else if (Utf8.IsValid(value))
            {
                stdout.WriteLine(Encoding.UTF8.GetString(value));
            }
            else
            {
                stderr.WriteLine($"note: the value is binary ({value.Length} bytes) and is printed as base64; use --out <file> for the raw bytes");
                stdout.WriteLine(Convert.ToBase64String(value));
            }
            return (int)ExitCode.Ok;
        });

    private static GetDocument Document(byte[] key, byte[] value, string? outFile)
    {
        var k = JsonBytes.Of(key);
        JsonBytes? v = outFile is null ? JsonBytes.Of(value) : null;
        return new GetDocument(k.Value, k.Encoding, value.Length, v?.Value, v?.Encoding, outFile);
    }
}
