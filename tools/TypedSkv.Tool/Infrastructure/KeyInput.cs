using System.Text;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>Turns key and value arguments into bytes: UTF-8 text, or base64 for binary.</summary>
public static class KeyInput
{
    public static byte[] ParseKey(string key, bool base64)
    {
        byte[] bytes = base64 ? FromBase64(key, "--base64-key") : Encoding.UTF8.GetBytes(key);
        if (bytes.Length is 0 or > SkvStore.MaxKeyLength)
            throw SkvToolException.Usage($"a key must be 1 to {SkvStore.MaxKeyLength} bytes, this one is {bytes.Length}");
        return bytes;
    }

    public static byte[] FromBase64(string text, string what)
    {
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw SkvToolException.Usage($"{what}: not valid base64: {BinaryText.Display(Encoding.UTF8.GetBytes(text), 40)}");
        }
    }
}
