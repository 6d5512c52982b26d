using System.Security.Cryptography;
using System.Text;

namespace TypedSkv.Tests;

/// <summary>A temporary directory deleted at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "typedskv-backup-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public SkvStore OpenStore(string name = "store.skv") =>
        SkvStore.Open(File(name), new SkvOptions { Durability = SkvDurability.None });

    public string WriteText(string name, string content)
    {
        string path = File(name);
        System.IO.File.WriteAllText(path, content, new UTF8Encoding(false));
        return path;
    }

    public string WriteBytes(string name, byte[] content)
    {
        string path = File(name);
        System.IO.File.WriteAllBytes(path, content);
        return path;
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

internal static class StoreDigest
{
    /// <summary>SHA-256 over every (key, value) in key order, length-prefixed, plus the count.</summary>
    public static string Of(SkvStore store)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> len = stackalloc byte[4];
        long n = 0;
        foreach (var e in store.Scan())
        {
            byte[] v = e.GetValue();
            BitConverter.TryWriteBytes(len, e.Key.Length); sha.AppendData(len); sha.AppendData(e.Key.Span);
            BitConverter.TryWriteBytes(len, v.Length); sha.AppendData(len); sha.AppendData(v);
            n++;
        }
        return $"{n}:{Convert.ToHexString(sha.GetHashAndReset())}";
    }

    public static Dictionary<string, string> Dump(SkvStore store) =>
        store.Scan().ToDictionary(e => Convert.ToHexString(e.Key.Span), e => Convert.ToHexString(e.GetValue()));
}
