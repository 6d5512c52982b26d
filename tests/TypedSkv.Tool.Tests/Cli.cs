using System.Text;
using System.Text.Json;

namespace TypedSkv.Tool.Tests;

/// <summary>What one in-process run of the tool produced.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Parses stdout as the one JSON document --json promises (throws if it is anything else).</summary>
    public JsonElement Json()
    {
        using var doc = JsonDocument.Parse(Stdout);
        return doc.RootElement.Clone();
    }

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public static class Cli
{
    /// <summary>Runs a whole command line through the parser, in-process.</summary>
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = SkvCli.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs a command's logic method directly with capturing writers.</summary>
    public static CliResult Call(Func<TextWriter, TextWriter, int> logic)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = logic(stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }
}

/// <summary>Stores with known content, and ways to damage them.</summary>
public static class TestStores
{
    public static string ValueOf(int i) => $"value-{i:D4}-abcdefghij";

    public static string KeyOf(int i) => $"key:{i:D4}";

    public static void Create(string path, int records, string keyPrefix = "key:")
    {
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.None });
        for (int i = 0; i < records; i++) store.Put($"{keyPrefix}{i:D4}", ValueOf(i));
        store.Flush();
    }

    /// <summary>Changes one byte of the first occurrence of <paramref name="text"/> in the file.</summary>
    public static long FlipByteOf(string path, string text, int at = 2)
    {
        byte[] bytes = File.ReadAllBytes(path);
        int index = bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text));
        Assert.True(index >= 0, $"'{text}' not found in {path}");
        bytes[index + at] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        return index + at;
    }
}
