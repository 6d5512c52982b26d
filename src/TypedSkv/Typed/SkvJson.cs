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
/// <remarks>
/// Not static only so that generated codec classes can derive from it and call its members without a prefix; it has
/// no instances.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public abstract class SkvJson
{
    protected SkvJson()
    {
    }

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

    /// <summary>Starts reading an object: false on JSON null, <see cref="JsonException"/> on anything but an object.</summary>
    public static bool StartObject(ref Utf8JsonReader r, string type)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        ExpectStartObject(ref r, type);
        return true;
    }

    /// <summary>Starts reading an array: false on JSON null, <see cref="JsonException"/> on anything but an array.</summary>
    public static bool StartArray(ref Utf8JsonReader r, string type)
    {
        if (r.TokenType == JsonTokenType.Null) return false;
        ExpectStartArray(ref r, type);
        return true;
    }

    /// <summary>Starts writing an object: writes null and returns false for a null value.</summary>
    public static bool StartObject(Utf8JsonWriter w, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] object? value)
    {
        if (value is null)
        {
            w.WriteNullValue();
            return false;
        }
        w.WriteStartObject();
        return true;
    }

    /// <summary>Starts writing an array: writes null and returns false for a null value.</summary>
    public static bool StartArray(Utf8JsonWriter w, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] object? value)
    {
        if (value is null)
        {
            w.WriteNullValue();
            return false;
        }
        w.WriteStartArray();
        return true;
    }

    /// <summary>Moves to the next array element: false at the end of the array.</summary>
    public static bool NextElement(ref Utf8JsonReader r) => r.Read() && r.TokenType != JsonTokenType.EndArray;

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

    // ---- more value types ----

    /// <summary>TimeOnly as ISO text ("13:45:30.1234567").</summary>
    public static void WriteTimeOnly(Utf8JsonWriter w, TimeOnly v) => w.WriteStringValue(v.ToString("O", CultureInfo.InvariantCulture));
    public static TimeOnly ReadTimeOnly(ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Null ? default : TimeOnly.ParseExact(r.GetString()!, "O", CultureInfo.InvariantCulture);

    /// <summary>Half as a number (NaN and infinities as strings, like double).</summary>
    public static void WriteHalf(Utf8JsonWriter w, Half v) => WriteDouble(w, (double)v);
    public static Half ReadHalf(ref Utf8JsonReader r) => (Half)ReadDouble(ref r);

    /// <summary>Int128 as a JSON number with every digit (no double rounding); a string of digits reads too.</summary>
    public static void WriteInt128(Utf8JsonWriter w, Int128 v) => WriteExactInteger(w, v);
    public static Int128 ReadInt128(ref Utf8JsonReader r) => ReadExactInteger<Int128>(ref r);
    public static void WriteUInt128(Utf8JsonWriter w, UInt128 v) => WriteExactInteger(w, v);
    public static UInt128 ReadUInt128(ref Utf8JsonReader r) => ReadExactInteger<UInt128>(ref r);

    private static void WriteExactInteger<T>(Utf8JsonWriter w, T v) where T : IUtf8SpanFormattable
    {
        Span<byte> digits = stackalloc byte[48];
        v.TryFormat(digits, out int n, default, CultureInfo.InvariantCulture);
        w.WriteRawValue(digits[..n], skipInputValidation: true);
    }

    private static T ReadExactInteger<T>(ref Utf8JsonReader r) where T : System.Numerics.IBinaryInteger<T> => r.TokenType switch
    {
        JsonTokenType.Null => T.Zero,
        JsonTokenType.String => T.Parse(r.GetString()!, NumberStyles.Integer, CultureInfo.InvariantCulture),
        _ => T.Parse(r.ValueSpan, NumberStyles.Integer, CultureInfo.InvariantCulture),
    };

    /// <summary>Uri as its original string (relative URIs included).</summary>
    public static void WriteUri(Utf8JsonWriter w, Uri? v)
    {
        if (v is null) w.WriteNullValue();
        else w.WriteStringValue(v.OriginalString);
    }

    public static Uri? ReadUri(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? null : new Uri(r.GetString()!, UriKind.RelativeOrAbsolute);

    /// <summary>ReadOnlyMemory&lt;byte&gt; as base64 text (null reads as empty).</summary>
    public static void WriteMemory(Utf8JsonWriter w, ReadOnlyMemory<byte> v) => w.WriteBase64StringValue(v.Span);
    public static ReadOnlyMemory<byte> ReadMemory(ref Utf8JsonReader r) => r.TokenType == JsonTokenType.Null ? default : r.GetBytesFromBase64();

    // ---- extension data, derived types ----

    /// <summary>Writes the properties kept by a [SkvExtensionData] member back into the object being written.</summary>
    public static void WriteExtensionData(Utf8JsonWriter w, IEnumerable<KeyValuePair<string, JsonElement>>? data)
    {
        if (data is null) return;
        foreach (var pair in data)
        {
            w.WritePropertyName(pair.Key);
            pair.Value.WriteTo(w);
        }
    }

    /// <summary>Keeps an unknown property (the reader is on its name) in the extension data, and moves past its value.</summary>
    public static void ReadExtensionProperty(ref Utf8JsonReader r, ref Dictionary<string, JsonElement>? data)
    {
        string name = r.GetString()!;
        r.Read();
        (data ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal))[name] = JsonElement.ParseValue(ref r);
    }

    // ---- polymorphism ([SkvDerivedType]) ----

    /// <summary>The stored property naming a derived type; always the object's first property (as System.Text.Json writes it).</summary>
    public static ReadOnlySpan<byte> DerivedTypeProperty => "$type"u8;

    /// <summary>Writes the <c>$type</c> property of a derived instance (right after the object's start).</summary>
    public static void WriteDerivedType(Utf8JsonWriter w, string? discriminator)
    {
        if (discriminator is not null) w.WriteString(DerivedTypeProperty, discriminator);
    }

    /// <summary>
    /// The <c>$type</c> discriminator of the object the reader is on (its first property), or null when it has none; the
    /// reader does not move (the derived type's reader reads the object and skips <c>$type</c>).
    /// </summary>
    public static string? DerivedType(Utf8JsonReader r)
    {
        if (!r.Read() || r.TokenType != JsonTokenType.PropertyName || !r.ValueTextEquals(DerivedTypeProperty)) return null;
        r.Read();
        return r.TokenType == JsonTokenType.String ? r.GetString() : throw new JsonException("$type must be a string, found " + r.TokenType);
    }

    /// <summary>A stored discriminator that <paramref name="declared"/>'s [SkvDerivedType] list lacks.</summary>
    public static Exception UnknownDerivedType(Type declared, string discriminator) => new UnknownDerivedTypeJsonException(declared, discriminator);

    /// <summary>An object without <c>$type</c> where the declared type is abstract.</summary>
    public static Exception MissingDerivedType(Type declared) =>
        new JsonException($"the stored {declared.Name} has no $type and {declared.Name} is abstract; it was not written by this model");

    /// <summary>Carries an unknown discriminator to the collection, which names collection, key and property (<see cref="SkvUnknownDerivedTypeException"/>).</summary>
    internal sealed class UnknownDerivedTypeJsonException(Type declared, string discriminator)
        : JsonException($"unknown $type '{discriminator}' for {declared.Name}: the model's [SkvDerivedType] list for {declared.FullName} does not have it")
    {
        public Type Declared { get; } = declared;

        public string Discriminator { get; } = discriminator;
    }

    /// <summary>A derived instance in a property (or collection) of a non-sealed type: storing it would drop its own members.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void ThrowDerivedType(Type declared, object value) =>
        throw new SkvException($"cannot store a {value.GetType().FullName} where the model declares {declared.FullName}: it would be stored as a {declared.Name} "
            + $"and lose the members {value.GetType().Name} adds; store a {declared.Name}, or declare the property with the derived type");

    // ---- error locations ----

    /// <summary>
    /// The JSON path ("address.zip", "tags[2]") of the value starting at byte <paramref name="position"/>, found by
    /// reading <paramref name="json"/> again from the start; "" for the top level, "?" when the JSON ends before it.
    /// </summary>
    public static string PathAt(ReadOnlySpan<byte> json, long position)
    {
        var frames = new List<(bool IsArray, string? Name, int Index)>();
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
        try
        {
            while (reader.Read())
            {
                JsonTokenType token = reader.TokenType;
                bool isValue = token is not (JsonTokenType.PropertyName or JsonTokenType.EndObject or JsonTokenType.EndArray);
                if (isValue && frames.Count > 0 && frames[^1].IsArray)
                {
                    var top = frames[^1];
                    frames[^1] = (true, top.Name, top.Index + 1);
                }
                if (reader.TokenStartIndex >= position) return Path(frames);
                switch (token)
                {
                    case JsonTokenType.PropertyName:
                        frames[^1] = (false, reader.GetString(), 0);
                        break;
                    case JsonTokenType.StartObject:
                        frames.Add((false, null, 0));
                        break;
                    case JsonTokenType.StartArray:
                        frames.Add((true, null, -1));
                        break;
                    case JsonTokenType.EndObject:
                    case JsonTokenType.EndArray:
                        frames.RemoveAt(frames.Count - 1);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // malformed JSON: the path up to the damage
            return Path(frames);
        }
        return "?";

        static string Path(List<(bool IsArray, string? Name, int Index)> frames)
        {
            var sb = new System.Text.StringBuilder();
            foreach (var frame in frames)
            {
                if (frame.IsArray) sb.Append('[').Append(frame.Index.ToString(CultureInfo.InvariantCulture)).Append(']');
                else if (frame.Name is not null) sb.Append(sb.Length == 0 ? "" : ".").Append(frame.Name);
            }
            return sb.ToString();
        }
    }
}

/// <summary>
/// The stored property names of one generated object type, and the reader's step to the next property: generated
/// readers are a loop over <see cref="Next"/> and a switch on the member it returns.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public sealed class SkvJsonMembers
{
    /// <summary><see cref="Next"/>: the object has ended.</summary>
    public const int End = -1;

    /// <summary><see cref="Next"/> with keepUnknown: an unknown property; the reader is on its name.</summary>
    public const int Unknown = -2;

    private readonly byte[][] _names;
    private readonly JsonEncodedText[] _encoded;
    private readonly bool _keepUnknown;

    public SkvJsonMembers(bool keepUnknown, params string[] names)
    {
        _keepUnknown = keepUnknown;
        _names = names.Select(n => System.Text.Encoding.UTF8.GetBytes(n)).ToArray();
        _encoded = names.Select(n => JsonEncodedText.Encode(n)).ToArray();
    }

    /// <summary>
    /// Writes the name of member <paramref name="member"/> (encoded once, here) and returns the writer for its value:
    /// generated writers call <c>WriteInt32(members.Name(writer, 0), value.Id)</c>, one call per property that binds
    /// faster than a UTF-8 literal passed to an overloaded <see cref="Utf8JsonWriter.WritePropertyName(string)"/>.
    /// </summary>
    public Utf8JsonWriter Name(Utf8JsonWriter writer, int member)
    {
        writer.WritePropertyName(_encoded[member]);
        return writer;
    }

    /// <summary>
    /// Reads to the next property of the object: returns the member's index with the reader on its value, <see cref="End"/>
    /// at the end of the object, or <see cref="Unknown"/> (only with keepUnknown; else unknown properties are skipped).
    /// <paramref name="last"/> is the previous result: properties usually come in declaration order, so the one after it
    /// is tried first.
    /// </summary>
    public int Next(ref Utf8JsonReader reader, int last)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            int found = -1;
            int guess = last + 1;
            if ((uint)guess < (uint)_names.Length && reader.ValueTextEquals(_names[guess])) found = guess;
            else
            {
                for (int i = 0; i < _names.Length; i++)
                {
                    if (reader.ValueTextEquals(_names[i]))
                    {
                        found = i;
                        break;
                    }
                }
            }
            if (found >= 0)
            {
                reader.Read();
                return found;
            }
            if (_keepUnknown && !reader.ValueTextEquals(SkvJson.DerivedTypeProperty)) return Unknown; // $type is never extension data
            reader.Read();
            reader.Skip();
        }
        return End;
    }
}

/// <summary>The one shared instance of a converter type (see <see cref="SkvConverterAttribute"/>); used by generated code.</summary>
[EditorBrowsable(EditorBrowsableState.Advanced)]
public static class SkvConverterInstance<TConverter> where TConverter : class, new()
{
    public static readonly TConverter Value = new();
}
