using System.Text;
using System.Text.Unicode;

namespace TypedSkv;

/// <summary>Shows a key in an error message without dumping binary or huge keys into logs.</summary>
public static class KeyFormatter
{
    private const int MaxShown = 64;

    public static string Describe(ReadOnlySpan<byte> key)
    {
        var shown = key.Length > MaxShown ? key[..MaxShown] : key;
        string text = IsPrintableUtf8(shown)
            ? "\"" + Encoding.UTF8.GetString(shown) + "\""
            : "0x" + Convert.ToHexString(shown);
        return key.Length > MaxShown ? $"{text}... ({key.Length} bytes)" : text;
    }

    private static bool IsPrintableUtf8(ReadOnlySpan<byte> bytes)
    {
        if (!Utf8.IsValid(bytes)) return false;
        foreach (byte b in bytes)
        {
            if (b < 0x20 || b == 0x7F) return false;
        }
        return true;
    }
}
