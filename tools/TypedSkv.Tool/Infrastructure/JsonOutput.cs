using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Writes the one JSON document a command prints with --json. Written with <see cref="Utf8JsonWriter"/>
/// (no reflection-based serialization), always as one object starting with command, ok and exitCode.
/// </summary>
public static class JsonOutput
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // stdout is not HTML: keep keys like "user<1>" and non-ASCII text readable
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The command's document, with the run's <c>warnings</c> array after the command's own members.</summary>
    public static void Write(TextWriter stdout, OutputSettings settings, string command, ExitCode code, Action<Utf8JsonWriter> body) =>
        Write(stdout, command, code, w =>
        {
            body(w);
            settings.Warnings.WriteJson(w);
        });

    public static void Write(TextWriter stdout, string command, ExitCode code, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            w.WriteString("command", command);
            w.WriteBoolean("ok", code == ExitCode.Ok);
            w.WriteNumber("exitCode", (int)code);
            body(w);
            w.WriteEndObject();
        }
        stdout.WriteLine(Encoding.UTF8.GetString(buffer.WrittenSpan));
        stdout.Flush();
    }

    /// <summary>Writes bytes as {name}: text or base64 and {name}Encoding: "text" | "base64" (the backup file's convention).</summary>
    public static void WriteBytes(this Utf8JsonWriter w, string name, ReadOnlySpan<byte> bytes)
    {
        var (value, encoding) = BinaryText.Encode(bytes);
        w.WriteString(name, value);
        w.WriteString(name + "Encoding", encoding);
    }

    public static void WriteStringOrNull(this Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name);
        else w.WriteString(name, value);
    }
}
