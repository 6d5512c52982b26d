using System.Buffers;
using System.ComponentModel;
using System.Globalization;
using System.Text.Json;

namespace TypedSkv.Typed;

/// <summary>
/// Value readers and writers called by generated serializers (one per supported primitive type), and a
/// per-thread reusable <see cref="Utf8JsonWriter"/>. Readers accept JSON null as the type's default, so a
/// property that became non-nullable still reads older data.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class SkvJson
{
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic] private static Utf8JsonWriter? t_writer;
    [ThreadStatic] private static bool t_inUse;

    private static readonly JsonWriterOptions s_writerOptions = new() { SkipValidation = true };

    /// <summary>
    /// A cleared writer over a cleared buffer, cached per thread. Pair with <see cref="ReturnWriter"/>; the
    /// written bytes (<c>buffer.WrittenSpan</c>, after <c>writer.Flush()</c>) are valid until then.
    /// </summary>
    public static Utf8JsonWriter RentWriter(out ArrayBufferWriter<byte> buffer)
    {
        if (t_inUse)
        {
            // Re-entrant use (for example serializing from inside a callback): a private pair.
            buffer = new ArrayBufferWriter<byte>(256);
            return new Utf8JsonWriter(buffer, s_writerOptions);
        }
        t_inUse = true;
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var writer = t_writer ??= new Utf8JsonWriter(buffer, s_writerOptions);
        writer.Reset(buffer);
        return writer;
    }

    public static void ReturnWriter(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        if (!ReferenceEquals(writer, t_writer))
        {
            writer.Dispose();
            return;
        }
        t_inUse = false;
        if (buffer.Capacity > 1 << 20)
        {
            // Do not keep a huge buffer alive per thread after one big record.
            t_buffer = null;
            t_writer = null;
        }
    }

    // ---- objects and arrays ----

    public static void ExpectStartObject(ref Utf8JsonReader r, string type)
    {
        if (r.TokenType != JsonTokenType.StartObject)
            throw new JsonException($"expected a JSON object for {type}, found {r.TokenType}");
    }

    public static void ExpectStartArray(ref Utf8JsonReader r, string type)
    {
        if (r.TokenType != JsonTokenType.StartArray)
            throw new JsonException($"expected a JSON array for {type}, found {r.TokenType}");
    }

    // ---- primitives ----

    public static void WriteBoolean(Utf8JsonWriter w, bool v) => w.WriteBooleanValue(v);
    public static bool ReadBoolean(ref Utf8JsonReader r) => r.TokenType != JsonTokenType.Null && r.GetBoolean();

    public static void WriteByte(Utf8JsonWriter w, byte v) => w.WriteNumberValue(v);
    public static byte ReadByte(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetByte();
    public static void WriteSByte(Utf8JsonWriter w, sbyte v) => w.WriteNumberValue(v);
    public static sbyte ReadSByte(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetSByte();
    public static void WriteInt16(Utf8JsonWriter w, short v) => w.WriteNumberValue(v);
    public static short ReadInt16(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetInt16();
    public static void WriteUInt16(Utf8JsonWriter w, ushort v) => w.WriteNumberValue(v);
    public static ushort ReadUInt16(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetUInt16();
    public static void WriteInt32(Utf8JsonWriter w, int v) => w.WriteNumberValue(v);
    public static int ReadInt32(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetInt32();
    public static void WriteUInt32(Utf8JsonWriter w, uint v) => w.WriteNumberValue(v);
    public static uint ReadUInt32(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetUInt32();
    public static void WriteInt64(Utf8JsonWriter w, long v) => w.WriteNumberValue(v);
    public static long ReadInt64(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetInt64();
    public static void WriteUInt64(Utf8JsonWriter w, ulong v) => w.WriteNumberValue(v);
    public static ulong ReadUInt64(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetUInt64();
    public static void WriteDecimal(Utf8JsonWriter w, decimal v) => w.WriteNumberValue(v);
    public static decimal ReadDecimal(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetDecimal();

    /// <summary>NaN and infinities are written as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers).</summary>
    public static void WriteDouble(Utf8JsonWriter w, double v)
    {
        if (double.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
    }

    public static double ReadDouble(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Null => default,
        JsonTokenType.String => double.Parse(r.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => r.GetDouble(),
    };

    public static void WriteSingle(Utf8JsonWriter w, float v)
    {
        if (float.IsFinite(v)) w.WriteNumberValue(v);
        else w.WriteStringValue(v.ToString(CultureInfo.InvariantCulture));
    }

    public static float ReadSingle(ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Null => default,
        JsonTokenType.String => float.Parse(r.GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture),
        _ => r.GetSingle(),
    };

    public static void WriteChar(Utf8JsonWriter w, char v) => w.WriteStringValue([v]);
    public static char ReadChar(ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return default;
        string s = r.GetString()!;
        return s.Length == 1 ? s[0] : throw new JsonException($"expected a one-character string, found \"{s}\"");
    }

    public static void WriteString(Utf8JsonWriter w, string? v)
    {
        if (v is null) w.WriteNullValue();
        else w.WriteStringValue(v);
    }

    public static string? ReadString(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetString();

    public static void WriteDateTime(Utf8JsonWriter w, DateTime v) => w.WriteStringValue(v);
    public static DateTime ReadDateTime(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetDateTime();
    public static void WriteDateTimeOffset(Utf8JsonWriter w, DateTimeOffset v) => w.WriteStringValue(v);
    public static DateTimeOffset ReadDateTimeOffset(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetDateTimeOffset();
    public static void WriteGuid(Utf8JsonWriter w, Guid v) => w.WriteStringValue(v);
    public static Guid ReadGuid(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetGuid();

    /// <summary>TimeSpan as invariant "c" text ("1.02:03:04.5000000").</summary>
    public static void WriteTimeSpan(Utf8JsonWriter w, TimeSpan v) => w.WriteStringValue(v.ToString("c", CultureInfo.InvariantCulture));
    public static TimeSpan ReadTimeSpan(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? default : TimeSpan.ParseExact(r.GetString()!, "c", CultureInfo.InvariantCulture);

    public static void WriteDateOnly(Utf8JsonWriter w, DateOnly v) => w.WriteStringValue(v.ToString("O", CultureInfo.InvariantCulture));
    public static DateOnly ReadDateOnly(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? default : DateOnly.ParseExact(r.GetString()!, "O", CultureInfo.InvariantCulture);

    /// <summary>byte[] as base64 text.</summary>
    public static void WriteBytes(Utf8JsonWriter w, byte[]? v)
    {
        if (v is null) w.WriteNullValue();
        else w.WriteBase64StringValue(v);
    }

    public static byte[]? ReadBytes(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : r.GetBytesFromBase64();
}
