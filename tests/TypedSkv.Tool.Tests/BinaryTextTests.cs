using System.Text;
using TypedSkv.Tool.Infrastructure;

namespace TypedSkv.Tool.Tests;

public sealed class BinaryTextTests
{
    [Theory]
    [InlineData("hello", "hello")]
    [InlineData("with space", "with space")]
    [InlineData(" lead", "\" lead\"")]
    [InlineData("", "\"\"")]
    [InlineData("tab\there", "\"tab\\there\"")]
    [InlineData("\"quoted", "\"\\\"quoted\"")]
    [InlineData("base64:looks-encoded", "\"base64:looks-encoded\"")]
    [InlineData("rtl\u202Eoverride", "\"rtl\\u202eoverride\"")]
    public void Text_is_shown_as_is_or_quoted(string text, string expected) =>
        Assert.Equal(expected, BinaryText.Display(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Invalid_utf8_is_base64() =>
        Assert.Equal("base64:/wA=", BinaryText.Display([0xFF, 0x00]));

    [Fact]
    public void Long_text_is_cut_with_its_length()
    {
        string shown = BinaryText.Display(Encoding.UTF8.GetBytes(new string('a', 300)), 10);

        Assert.Equal("aaaaaaaaaa... (300 bytes)", shown);
    }

    [Fact]
    public void Json_encoding_follows_the_backup_convention()
    {
        Assert.Equal(("a\nb", "text"), BinaryText.Encode("a\nb"u8));
        Assert.Equal(("/w==", "base64"), BinaryText.Encode([0xFF]));
    }
}
