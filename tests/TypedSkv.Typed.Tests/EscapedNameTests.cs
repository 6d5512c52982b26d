using System.Text;
using System.Text.Json;

namespace TypedSkv.Typed.Tests;

/// <summary>Stored property names that JSON escapes: the bytes stay those the writer made of the UTF-8 name before.</summary>
public partial class EscapedNameTests
{
    public const string Quoted = "a\"b\\c", NonAscii = "größe", Html = "<tag>&'+`", Control = "tab\there", Emoji = "x\U0001F600y";

    [SkvRecord("escaped")]
    public sealed record Escaped(
        [property: SkvKey] int Id,
        [property: SkvPropertyName(Quoted)] string A,
        [property: SkvPropertyName(NonAscii)] int B,
        [property: SkvPropertyName(Html)] string C,
        [property: SkvPropertyName(Control)] bool D,
        [property: SkvPropertyName(Emoji)] long E);

    [SkvDatabase(typeof(Escaped))]
    public sealed partial class EscapedDb;

    [Fact]
    public void Escaped_names_are_written_as_the_utf8_property_name_was_and_read_back()
    {
        using var temp = new TempStore();
        using var db = EscapedDb.Open(temp.Path);
        var record = new Escaped(1, "v", 2, "w", true, 3);

        var expected = new MemoryStream();
        using (var writer = new Utf8JsonWriter(expected, new JsonWriterOptions { SkipValidation = true }))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("id"u8); writer.WriteNumberValue(1);
            writer.WritePropertyName(Encoding.UTF8.GetBytes(Quoted)); writer.WriteStringValue("v");
            writer.WritePropertyName(Encoding.UTF8.GetBytes(NonAscii)); writer.WriteNumberValue(2);
            writer.WritePropertyName(Encoding.UTF8.GetBytes(Html)); writer.WriteStringValue("w");
            writer.WritePropertyName(Encoding.UTF8.GetBytes(Control)); writer.WriteBooleanValue(true);
            writer.WritePropertyName(Encoding.UTF8.GetBytes(Emoji)); writer.WriteNumberValue(3L);
            writer.WriteEndObject();
        }
        Assert.Equal(Encoding.UTF8.GetString(expected.ToArray()), Encoding.UTF8.GetString(db.Escaped.ToJson(record)));

        db.Escaped.Put(record);
        Assert.Equal(record, db.Escaped.Get(1));
    }
}
