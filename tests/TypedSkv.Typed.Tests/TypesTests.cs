using System.Collections.Immutable;
using TypedSkv.Typed.Tests.Types;

namespace TypedSkv.Typed.Tests;

/// <summary>The value types added for issue 15, a converter hook, and derived instances refused instead of cut down.</summary>
public sealed class TypesTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    private ThingsDb Open() => ThingsDb.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });

    [Fact]
    public void Sets_times_big_numbers_uris_immutable_arrays_memory_and_converters_round_trip()
    {
        var thing = new Thing
        {
            Id = 1,
            Tags = ["a", "b"],
            Codes = new HashSet<int> { 3, 1 },
            Links = new HashSet<Guid> { Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e") },
            At = new TimeOnly(13, 45, 30, 123),
            Ratio = (Half)0.5,
            Huge = Int128.MinValue,
            Huger = UInt128.MaxValue,
            Home = new Uri("https://example.com/a?b=c"),
            Relative = new Uri("docs/x.md", UriKind.Relative),
            Fixed = [1, 2, 3],
            MaybeFixed = ["x"],
            Blob = new byte[] { 1, 2, 255 },
            Price = new Money(12.34m, "EUR"),
            MaybePrice = null,
            Motto = "quiet",
            Shape = new Shape { Name = "plain" },
        };
        using (var db = Open()) db.Things.Put(thing);
        using (var db = Open())
        {
            var back = db.Things.Get(1)!;
            Assert.Equal(thing.Tags, back.Tags);
            Assert.True(back.Codes.SetEquals([1, 3]));
            Assert.Equal(thing.Links, back.Links);
            Assert.Equal(thing.At, back.At);
            Assert.Equal(thing.Ratio, back.Ratio);
            Assert.Equal(thing.Huge, back.Huge);
            Assert.Equal(thing.Huger, back.Huger);
            Assert.Equal(thing.Home, back.Home);
            Assert.Equal("docs/x.md", back.Relative!.OriginalString);
            Assert.Equal([1, 2, 3], back.Fixed.ToArray());
            Assert.Equal(["x"], back.MaybeFixed!.Value.ToArray());
            Assert.Equal(thing.Blob.ToArray(), back.Blob.ToArray());
            Assert.Equal(thing.Price, back.Price);
            Assert.Null(back.MaybePrice);
            Assert.Equal("quiet", back.Motto);
            Assert.Equal("plain", back.Shape!.Name);

            string json = db.Store.GetString("things/0000000001");
            Assert.Contains("\"huge\":-170141183460469231731687303715884105728", json);
            Assert.Contains("\"huger\":340282366920938463463374607431768211455", json);
            Assert.Contains("\"price\":\"12.34 EUR\"", json);
            Assert.Contains("\"motto\":\"QUIET\"", json);
            Assert.Contains("\"at\":\"13:45:30.1230000\"", json);
        }
    }

    [Fact]
    public void Members_missing_from_older_data_get_empty_collections()
    {
        using var db = Open();
        db.Store.Put("things/0000000002", """{"id":2}""");
        var back = db.Things.Get(2)!;
        Assert.Empty(back.Tags);
        Assert.Empty(back.Codes);
        Assert.Equal(new Thing().Fixed, back.Fixed); // what a new instance has, as for every settable member
    }

    [Fact]
    public void A_derived_instance_in_a_base_typed_property_is_refused_not_cut_down()
    {
        using var db = Open();
        var e = Assert.Throws<SkvException>(() => db.Things.Put(new Thing { Id = 3, Shape = new Circle { Name = "c", Radius = 2 } }));
        Assert.Contains("Circle", e.Message);
        Assert.False(db.Things.Contains(3));
    }
}
