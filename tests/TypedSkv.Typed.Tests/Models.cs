using TypedSkv;

namespace TypedSkv.Typed.Tests;

public enum Tier { Free, Pro, Enterprise = 10 }

[Flags]
public enum Perm : byte { None = 0, Read = 1, Write = 2 }

[SkvRecord("users")]
public sealed record User(
    [property: SkvKey] int Id,
    string Name,
    [property: SkvIndex(Unique = true)] string Email,
    [property: SkvIndex] string? City = null);

/// <summary>Every supported value type in one record (class with init setters and a parameterless constructor).</summary>
[SkvRecord("kitchen-sink")]
public sealed class KitchenSink
{
    [SkvKey] public Guid Id { get; init; }
    public bool Flag { get; init; }
    public byte B { get; init; }
    public sbyte Sb { get; init; }
    public short S { get; init; }
    public ushort Us { get; init; }
    public int I { get; init; }
    public uint Ui { get; init; }
    public long L { get; init; }
    public ulong Ul { get; init; }
    public float F { get; init; }
    public double D { get; init; }
    public decimal M { get; init; }
    public char C { get; init; }
    public string Text { get; init; } = "";
    public string? MaybeText { get; init; }
    public DateTime When { get; init; }
    public DateTimeOffset WhenOffset { get; init; }
    public Guid Other { get; init; }
    public TimeSpan Span { get; init; }
    public DateOnly Day { get; init; }
    public byte[]? Blob { get; init; }
    public Tier Tier { get; init; }
    public Perm Perms { get; init; }
    public int? MaybeInt { get; init; }
    public Tier? MaybeTier { get; init; }
    public DateTime? MaybeWhen { get; init; }
    public int[] Numbers { get; init; } = [];
    public List<string> Tags { get; init; } = [];
    public IReadOnlyList<Address> Addresses { get; init; } = [];
    public List<int?> Sparse { get; init; } = [];
    public Dictionary<string, int> Counts { get; init; } = new();
    public Address? Home { get; init; }
    public Point Location { get; init; }
    public Point? MaybeLocation { get; init; }
    [SkvPropertyName("renamed")] public string Original { get; set; } = "";
    [SkvIgnore] public string Transient { get; set; } = "not stored";
    public string Computed => Text + "!";
}

public sealed record Address(string Street, string City, string? Zip = "00000");

public struct Point
{
    public double X { get; set; }
    public double Y { get; set; }
}

[SkvRecord("events")]
public sealed record Event([property: SkvKey] long Seq, string Kind);

[SkvRecord("lines")]
public sealed record OrderLine(
    [property: SkvKey(Order = 0)] int CustomerId,
    [property: SkvKey(Order = 1)] string OrderNo,
    [property: SkvKey(Order = 2)] int Line,
    decimal Amount);

[SkvRecord("docs")]
public sealed record Doc([property: SkvKey] string Path, string Body, [property: SkvIndex] int Version);

/// <summary>A recursive nested type, a record struct and read-only collection interfaces.</summary>
public sealed record TreeNode(string Name, List<TreeNode> Children, Span2? Extent = null);

public readonly record struct Span2(long From, long To);

[SkvRecord("trees")]
public sealed record Tree(
    [property: SkvKey(Order = 0)] Guid Owner,
    [property: SkvKey(Order = 1)] long Version,
    TreeNode Root,
    IReadOnlyDictionary<string, TreeNode?> Named,
    IEnumerable<Span2> Spans);

[SkvDatabase(typeof(User), typeof(KitchenSink), typeof(Event), typeof(OrderLine), typeof(Doc), typeof(Tree))]
public sealed partial class TestDb;
