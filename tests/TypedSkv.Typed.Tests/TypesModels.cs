using System.Collections.Immutable;
using System.Text.Json;
using TypedSkv;

namespace TypedSkv.Typed.Tests.Types;

/// <summary>A value type stored by a converter: as "12.34 EUR".</summary>
[SkvConverter(typeof(MoneyConverter))]
public readonly record struct Money(decimal Amount, string Currency);

public sealed class MoneyConverter : ISkvConverter<Money>
{
    public void Write(Utf8JsonWriter writer, Money value) =>
        writer.WriteStringValue(value.Amount.ToString(System.Globalization.CultureInfo.InvariantCulture) + " " + value.Currency);

    public Money Read(ref Utf8JsonReader reader)
    {
        string[] parts = reader.GetString()!.Split(' ');
        return new Money(decimal.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), parts[1]);
    }
}

/// <summary>Stores a string upper-cased (a property-level converter).</summary>
public sealed class ShoutConverter : ISkvConverter<string>
{
    public void Write(Utf8JsonWriter writer, string value) => writer.WriteStringValue(value.ToUpperInvariant());

    public string Read(ref Utf8JsonReader reader) => reader.GetString()!.ToLowerInvariant();
}

public class Shape
{
    public string Name { get; set; } = "";
}

public sealed class Circle : Shape
{
    public double Radius { get; set; }
}

[SkvRecord("things")]
public sealed class Thing
{
    [SkvKey] public int Id { get; init; }
    public HashSet<string> Tags { get; init; } = [];
    public ISet<int> Codes { get; init; } = new HashSet<int>();
    public IReadOnlySet<Guid>? Links { get; init; }
    public TimeOnly At { get; init; }
    public Half Ratio { get; init; }
    public Int128 Huge { get; init; }
    public UInt128 Huger { get; init; }
    public Uri? Home { get; init; }
    public Uri? Relative { get; init; }
    public ImmutableArray<int> Fixed { get; init; }
    public ImmutableArray<string>? MaybeFixed { get; init; }
    public ReadOnlyMemory<byte> Blob { get; init; }
    public Money Price { get; init; }
    public Money? MaybePrice { get; init; }
    [SkvConverter(typeof(ShoutConverter))] public string Motto { get; init; } = "";
    public Shape? Shape { get; init; }
}

[SkvDatabase(typeof(Thing))]
public sealed partial class ThingsDb;
