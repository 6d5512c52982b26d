using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>Shows keys and values that may be binary without writing raw control bytes to a terminal.</summary>
public static class BinaryText
{
    public const string Base64Marker = "base64:";

    /// <summary>For JSON: the UTF-8 text when the bytes are valid UTF-8 (JSON escapes the rest), else base64.</summary>
    public static (string Value, string Encoding) Encode(ReadOnlySpan<byte> bytes) =>
        Utf8.IsValid(bytes) ? (Encoding.UTF8.GetString(bytes), "text") : (Convert.ToBase64String(bytes), "base64");

    /// <summary>
    /// For humans, on one line: printable UTF-8 as it is; text with control characters, surrounding spaces or
    /// a misleading start in double quotes with C-style escapes; anything that is not UTF-8 as <c>base64:...</c>.
    /// Longer than <paramref name="maxChars"/> is cut and marked with its length in bytes.
    /// </summary>
    public static string Display(ReadOnlySpan<byte> bytes, int maxChars = int.MaxValue)
    {
        string shown;
        if (!Utf8.IsValid(bytes))
        {
            shown = Base64Marker + Convert.ToBase64String(bytes);
        }
        else
        {
            string s = Encoding.UTF8.GetString(bytes);
            shown = NeedsQuotes(s) ? Quote(s) : s;
        }
        if (shown.Length > maxChars)
            shown = $"{shown[..Math.Max(0, maxChars)]}... ({bytes.Length} bytes)";
        return shown;
    }

    private static bool NeedsQuotes(string s)
    {
        if (s.Length == 0 || s[0] == '"' || s.StartsWith(Base64Marker, StringComparison.Ordinal)) return true;
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return true;
        foreach (char c in s)
        {
            if (IsUnsafe(c)) return true;
        }
        return false;
    }

    private static bool IsUnsafe(char c) =>
        char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    private static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (IsUnsafe(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
