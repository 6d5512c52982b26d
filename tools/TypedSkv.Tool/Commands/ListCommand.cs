using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Commands;

/// <summary><c>dotnet skv list &lt;db&gt;</c>: keys in order, optionally with values, shown safely when binary.</summary>
public static class ListCommand
{
    public const string Name = "list";
    public const int ValueDisplayChars = 200;

    public static readonly string[] Examples =
    [
        "dotnet skv list app.skv --prefix user: --limit 20",
        "dotnet skv list app.skv --values --json",
    ];

    public static Command Create(CommonOptions common, TextWriter stdout, TextWriter stderr)
    {
        var db = CommonOptions.DbArgument();
        var prefix = new Option<string?>("--prefix") { Description = "Only keys that start with this UTF-8 text.", HelpName = "P" };
        var limit = new Option<int?>("--limit")
        {
            Description = "Show at most N keys.",
            HelpName = "N",
            CustomParser = PositiveInt,
        };
        var values = new Option<bool>("--values") { Description = "Also show the values (text as it is, else escaped or base64; long values cut in text output)." };
        var command = new Command(Name, "List keys in unsigned byte order (read-only). Binary keys and values are shown as base64 (base64:...) or, for text with control characters, quoted and escaped; one per line, key and value separated by a tab.")
        {
            db, prefix, limit, values,
        };
        command.SetAction(pr => Run(stdout, stderr, pr.GetRequiredValue(db), pr.GetValue(prefix), pr.GetValue(limit), pr.GetValue(values), common.Read(pr)));
        return command;
    }

    /// <summary>Validation inside the parser (a Validators entry would throw out of Parse on bad input).</summary>
    internal static int? PositiveInt(ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= 1) return n;
        result.AddError($"{(result.Parent as OptionResult)?.Option.Name ?? "value"} must be a whole number of at least 1, not '{text}'");
        return null;
    }

    public static int Run(TextWriter stdout, TextWriter stderr, string db, string? prefix = null, int? limit = null,
        bool values = false, OutputSettings? output = null) =>
        CommandRunner.Execute(Name, stdout, stderr, output, o =>
        {
            if (limit is < 1) throw SkvToolException.Usage("--limit must be at least 1");
            using var store = Stores.OpenReadOnly(db, o.Warnings);
            using var snapshot = store.GetSnapshot();
            var entries = string.IsNullOrEmpty(prefix) ? snapshot.Scan() : snapshot.ScanPrefix(System.Text.Encoding.UTF8.GetBytes(prefix));
            var shown = new List<(byte[] Key, int ValueLength, byte[]? Value)>();
            bool truncated = false;
            foreach (var entry in entries)
            {
                if (limit is { } max && shown.Count >= max)
                {
                    truncated = true;
                    break;
                }
                shown.Add((entry.Key.ToArray(), entry.ValueLength, values ? entry.GetValue() : null));
            }

            if (o.Json)
            {
                JsonOutput.Write(stdout, o, Name, ExitCode.Ok, new ListDocument(db, prefix, shown.Count, truncated, [.. shown.Select(e =>
                {
                    var key = JsonBytes.Of(e.Key);
                    JsonBytes? value = e.Value is null ? null : JsonBytes.Of(e.Value);
                    return new ListEntry(key.Value, key.Encoding, e.ValueLength, value?.Value, value?.Encoding);
                })]));
            }
            else
            {
                foreach (var (key, _, value) in shown)
                {
                    stdout.WriteLine(value is null
                        ? BinaryText.Display(key)
                        : BinaryText.Display(key) + "\t" + BinaryText.Display(value, ValueDisplayChars));
                }
                if (truncated) stderr.WriteLine($"note: stopped after {shown.Count} keys (--limit); more keys match");
            }
            return (int)ExitCode.Ok;
        });
}
