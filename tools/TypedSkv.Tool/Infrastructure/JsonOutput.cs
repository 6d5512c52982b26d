using System.Text.Encodings.Web;
using System.Text.Json;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Writes the one JSON document a command prints with --json, through the source-generated
/// <see cref="ToolJsonContext"/>: always one object starting with command, ok and exitCode, ending with warnings.
/// </summary>
public static class JsonOutput
{
    private static readonly ToolJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        // stdout is not HTML: keep keys like "user<1>" and non-ASCII text readable
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>The command's document, with the run's warnings.</summary>
    public static void Write(TextWriter stdout, OutputSettings settings, string command, ExitCode code, ToolDocument document) =>
        Write(stdout, command, code, document with { Warnings = settings.Warnings.Items });

    public static void Write(TextWriter stdout, string command, ExitCode code, ToolDocument document)
    {
        var complete = document with { Command = command, Ok = code == ExitCode.Ok, ExitCode = (int)code };
        stdout.WriteLine(JsonSerializer.Serialize(complete, Context.GetTypeInfo(complete.GetType())
            ?? throw new InvalidOperationException($"{complete.GetType().Name} is not in ToolJsonContext")));
        stdout.Flush();
    }
}
