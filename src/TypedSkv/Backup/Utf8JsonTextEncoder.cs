using System.Buffers;
using System.Text.Encodings.Web;

namespace TypedSkv.Backup;

/// <summary>
/// A JSON string encoder that escapes only what JSON requires (the quote, the backslash and control characters
/// below U+0020) and writes everything else, including non-BMP characters, as real UTF-8. The built-in
/// UnsafeRelaxedJsonEscaping still \u-escapes emoji and other supplementary characters; backups are meant to be
/// read by people. Not for HTML: it does not escape &lt; &gt; &amp;.
/// </summary>
internal sealed class Utf8JsonTextEncoder : JavaScriptEncoder
{
    public static readonly Utf8JsonTextEncoder Instance = new();

    private Utf8JsonTextEncoder() { }

    public override int MaxOutputCharactersPerInputCharacter => 6; // \u00XX

    public override bool WillEncode(int unicodeScalar) => unicodeScalar < 0x20 || unicodeScalar == '"' || unicodeScalar == '\\';

    public override unsafe int FindFirstCharacterToEncode(char* text, int textLength)
    {
        for (int i = 0; i < textLength; i++)
        {
            char c = text[i];
            if (c < 0x20 || c == '"' || c == '\\') return i;
            // a lone surrogate is invalid: let the encoder see (and replace) it
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < textLength && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                return i;
            }
        }
        return -1;
    }

    public override int FindFirstCharacterToEncodeUtf8(ReadOnlySpan<byte> utf8Text) =>
        // callers pass valid UTF-8 (checked before a value is written as text); multi-byte sequences never
        // contain bytes below 0x80, so a (vectorized) byte search is exact
        utf8Text.IndexOfAny(MustEscape);

    /// <summary>The bytes JSON text must escape (shared with the writer's text-or-base64 choice).</summary>
    internal static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F,
         0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F,
         (byte)'"', (byte)'\\']);

    public override unsafe bool TryEncodeUnicodeScalar(int unicodeScalar, char* buffer, int bufferLength, out int numberOfCharactersWritten)
    {
        ReadOnlySpan<char> escaped = unicodeScalar switch
        {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\b' => "\\b",
            '\f' => "\\f",
            _ => default,
        };
        if (escaped.IsEmpty && !WillEncode(unicodeScalar))
        {
            // not ours to escape: write the scalar itself
            if (!new System.Text.Rune(unicodeScalar).TryEncodeToUtf16(new Span<char>(buffer, bufferLength), out numberOfCharactersWritten))
            {
                numberOfCharactersWritten = 0;
                return false;
            }
            return true;
        }
        if (escaped.IsEmpty)
        {
            if (bufferLength < 6) { numberOfCharactersWritten = 0; return false; }
            const string hex = "0123456789ABCDEF";
            buffer[0] = '\\'; buffer[1] = 'u'; buffer[2] = '0'; buffer[3] = '0';
            buffer[4] = hex[(unicodeScalar >> 4) & 0xF];
            buffer[5] = hex[unicodeScalar & 0xF];
            numberOfCharactersWritten = 6;
            return true;
        }
        if (bufferLength < escaped.Length) { numberOfCharactersWritten = 0; return false; }
        escaped.CopyTo(new Span<char>(buffer, bufferLength));
        numberOfCharactersWritten = escaped.Length;
        return true;
    }
}
