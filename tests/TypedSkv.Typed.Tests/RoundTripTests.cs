using System.Text;

namespace TypedSkv.Typed.Tests;

public class RoundTripTests
{
    private static KitchenSink Sample(Guid id) => new()
    {
        Id = id,
        Flag = true,
        B = 255,
        Sb = -128,
        S = short.MinValue,
        Us = ushort.MaxValue,
        I = int.MinValue,
        Ui = uint.MaxValue,
        L = long.MinValue,
        Ul = ulong.MaxValue,
        F = 1.5f,
        D = double.NaN,
        M = 79228162514264337593543950335m,
        C = 'é',
        Text = "héllo \"quoted\" \u0000 \n 日本",
        MaybeText = null,
        When = new DateTime(2026, 11, 25, 12, 0, 0, 123, DateTimeKind.Utc),
        WhenOffset = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromHours(-5)),
        Other = Guid.NewGuid(),
        Span = new TimeSpan(1, 2, 3, 4, 500),
        Day = new DateOnly(1999, 12, 31),
        Blob = [0, 1, 2, 255],
        Tier = Tier.Enterprise,
        Perms = Perm.Read | Perm.Write,
        MaybeInt = 42,
        MaybeTier = null,
        MaybeWhen = DateTime.UnixEpoch,
        Numbers = [-1, 0, int.MaxValue],
        Tags = ["a", "b"],
        Addresses = [new Address("Main St 1", "Oslo"), new Address("Side 2", "Rome", null)],
        Sparse = [1, null, 3],
        Counts = new() { ["x"] = 1, ["y"] = -2 },
        Home = new Address("Home 1", "Paris", "75001"),
        Location = new Point { X = 1.25, Y = -2.5 },
        MaybeLocation = new Point { X = 3, Y = 4 },
        Original = "kept under another name",
        Transient = "changed",
    };

    private static void AssertSame(KitchenSink expected, KitchenSink actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Flag, actual.Flag);
        Assert.Equal(expected.B, actual.B);
        Assert.Equal(expected.Sb, actual.Sb);
        Assert.Equal(expected.S, actual.S);
        Assert.Equal(expected.Us, actual.Us);
        Assert.Equal(expected.I, actual.I);
        Assert.Equal(expected.Ui, actual.Ui);
        Assert.Equal(expected.L, actual.L);
        Assert.Equal(expected.Ul, actual.Ul);
        Assert.Equal(expected.F, actual.F);
        Assert.Equal(expected.D, actual.D);
        Assert.Equal(expected.M, actual.M);
        Assert.Equal(expected.C, actual.C);
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.MaybeText, actual.MaybeText);
        Assert.Equal(expected.When, actual.When);
        Assert.Equal(expected.When.Kind, actual.When.Kind);
        Assert.Equal(expected.WhenOffset, actual.WhenOffset);
        Assert.Equal(expected.WhenOffset.Offset, actual.WhenOffset.Offset);
        Assert.Equal(expected.Other, actual.Other);
        Assert.Equal(expected.Span, actual.Span);
        Assert.Equal(expected.Day, actual.Day);
        Assert.Equal(expected.Blob, actual.Blob);
        Assert.Equal(expected.Tier, actual.Tier);
        Assert.Equal(expected.Perms, actual.Perms);
        Assert.Equal(expected.MaybeInt, actual.MaybeInt);
        Assert.Equal(expected.MaybeTier, actual.MaybeTier);
        Assert.Equal(expected.MaybeWhen, actual.MaybeWhen);
        Assert.Equal(expected.Numbers, actual.Numbers);
        Assert.Equal(expected.Tags, actual.Tags);
        Assert.Equal(expected.Addresses, actual.Addresses);
        Assert.Equal(expected.Sparse, actual.Sparse);
        Assert.Equal(expected.Counts, actual.Counts);
        Assert.Equal(expected.Home, actual.Home);
        Assert.Equal(expected.Location, actual.Location);
        Assert.Equal(expected.MaybeLocation, actual.MaybeLocation);
        Assert.Equal(expected.Original, actual.Original);
        Assert.Equal("not stored", actual.Transient);
    }

    [Fact]
    public void Every_supported_type_round_trips_and_survives_reopen()
    {
        using var temp = new TempStore();
        var id = Guid.NewGuid();
        var expected = Sample(id);
        using (var db = temp.Open())
        {
            db.KitchenSink.Put(expected);
            AssertSame(expected, db.KitchenSink.Get(id)!);
        }
        using (var db = temp.Open())
        {
            AssertSame(expected, db.KitchenSink.Get(id)!);
        }
    }

    [Fact]
    public void Recursive_types_record_structs_and_collection_interfaces_round_trip()
    {
        using var temp = new TempStore();
        var owner = Guid.NewGuid();
        var leaf = new TreeNode("leaf", [], new Span2(-1, long.MaxValue));
        var tree = new Tree(owner, -7,
            new TreeNode("root", [new TreeNode("a", [leaf]), new TreeNode("b", [])]),
            new Dictionary<string, TreeNode?> { ["leaf"] = leaf, ["none"] = null },
            [new Span2(1, 2), new Span2(3, 4)]);
        using (var db = temp.Open()) db.Trees.Put(tree);
        using (var db = temp.Open())
        {
            var back = db.Trees.Get(owner, -7)!;
            Assert.Equal("root", back.Root.Name);
            Assert.Equal(["a", "b"], back.Root.Children.Select(c => c.Name));
            Assert.Equal(leaf.Extent, back.Root.Children[0].Children[0].Extent);
            Assert.Null(back.Root.Extent);
            Assert.Equal("leaf", back.Named["leaf"]!.Name);
            Assert.Null(back.Named["none"]);
            Assert.Equal(tree.Spans, back.Spans);
            Assert.Single(db.Trees.WithOwner(owner));
        }
    }

    [Fact]
    public void Non_finite_and_extreme_floats_round_trip()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        foreach (double d in new[] { double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue, -0.0 })
        {
            var value = new KitchenSink { Id = Guid.NewGuid(), D = d, F = float.NegativeInfinity };
            db.KitchenSink.Put(value);
            var back = db.KitchenSink.Get(value.Id)!;
            Assert.Equal(d, back.D);
            Assert.Equal(float.NegativeInfinity, back.F);
        }
    }

    [Fact]
    public void Stored_value_is_readable_json_under_a_readable_key()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(42, "Ann", "ann@x.io", "Oslo"));

        var entry = Assert.Single(db.Store.ScanPrefix("users/"));
        Assert.Equal("users/0000000042", entry.KeyString);
        Assert.Equal("""{"id":42,"name":"Ann","email":"ann@x.io","city":"Oslo"}""", entry.GetValueString());
        Assert.Equal("users#email/ann@x.io", Assert.Single(db.Store.ScanPrefix("users#email/")).KeyString);
    }

    [Fact]
    public void Unknown_properties_are_skipped_and_missing_ones_get_defaults()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        var id = Guid.NewGuid();
        // Newer data (unknown nested and scalar properties) and older data (most properties missing).
        string json = $$$"""{"zzz":{"a":[1,{"b":null}]},"id":"{{{id}}}","i":7,"extra":"x","home":{"street":"S","city":"C","future":true}}""";
        db.Store.Put(db.KitchenSink.EncodeKey(id), Encoding.UTF8.GetBytes(json));

        var back = db.KitchenSink.Get(id)!;
        Assert.Equal(7, back.I);
        Assert.Equal(new Address("S", "C"), back.Home); // missing "zip" takes the constructor default "00000"
        Assert.Equal("", back.Text);                    // missing init properties keep their initializers
        Assert.Empty(back.Numbers);
        Assert.Empty(back.Tags);
        Assert.Null(back.MaybeInt);
        Assert.Equal(default, back.When);

        // A record with a missing optional constructor parameter.
        db.Store.Put("users/0000000001", """{"id":1,"name":"Old","email":"old@x.io"}""");
        Assert.Equal(new User(1, "Old", "old@x.io", null), db.Users.Get(1));

        // Missing non-nullable strings read as "" (not null); nullable ones as null.
        db.Store.Put("users/0000000002", """{"id":2}""");
        Assert.Equal(new User(2, "", "", null), db.Users.Get(2));

        // Missing non-nullable collections read as empty ones.
        db.Store.Put("lines/0000000001a\u0000-0000000001", """{}""");
        var line = db.Lines.All().Single();
        Assert.Equal("", line.OrderNo);
    }

    [Fact]
    public void Enums_are_stored_by_name_and_read_by_name_or_number()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        var id = Guid.NewGuid();
        db.KitchenSink.Put(new KitchenSink { Id = id, Tier = Tier.Pro, Perms = Perm.Read | Perm.Write });
        string json = db.Store.GetString("kitchen-sink/" + id.ToString("N"));
        Assert.Contains("\"tier\":\"Pro\"", json);
        Assert.Contains("\"perms\":3", json); // a combination of flags has no name: stored as its number

        db.Store.Put(db.KitchenSink.EncodeKey(id), Encoding.UTF8.GetBytes($$"""{"id":"{{id}}","tier":10,"perms":"Write"}"""));
        var back = db.KitchenSink.Get(id)!;
        Assert.Equal(Tier.Enterprise, back.Tier);
        Assert.Equal(Perm.Write, back.Perms);
    }
}
