namespace TypedSkv.Typed.Tests;

public class KeyOrderTests
{
    [Fact]
    public void Encoded_int_and_long_keys_compare_like_the_numbers()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        var random = new Random(1234);
        for (int i = 0; i < 2000; i++)
        {
            int a = random.Next(int.MinValue, int.MaxValue), b = i % 10 == 0 ? a : random.Next(int.MinValue, int.MaxValue);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(db.Users.EncodeKey(a).AsSpan().SequenceCompareTo(db.Users.EncodeKey(b))));
            long c = random.NextInt64(long.MinValue, long.MaxValue), d = random.NextInt64(long.MinValue, long.MaxValue);
            Assert.Equal(Math.Sign(c.CompareTo(d)), Math.Sign(db.Events.EncodeKey(c).AsSpan().SequenceCompareTo(db.Events.EncodeKey(d))));
        }
    }

    [Fact]
    public void Guid_keys_scan_in_text_order()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        var ids = Enumerable.Range(0, 20).Select(_ => Guid.NewGuid()).ToList();
        foreach (var id in ids) db.KitchenSink.Put(new KitchenSink { Id = id });
        Assert.Equal(ids.Select(g => g.ToString("N")).Order(StringComparer.Ordinal), db.KitchenSink.All().Select(k => k.Id.ToString("N")));
    }

    [Fact]
    public void String_keys_support_prefix_and_range_scans()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        string[] paths = ["a/x", "a/y", "ab", "a", "b/1", "", "a/"];
        foreach (string p in paths) db.Docs.Put(new Doc(p, "body of " + p, 1));

        Assert.Equal(["", "a", "a/", "a/x", "a/y", "ab", "b/1"], db.Docs.All().Select(d => d.Path));
        Assert.Equal(["a/", "a/x", "a/y"], db.Docs.Prefix("a/").Select(d => d.Path));
        Assert.Equal(["a", "a/", "a/x", "a/y", "ab"], db.Docs.Prefix("a").Select(d => d.Path));
        Assert.Equal(["a/x", "a/y", "ab"], db.Docs.Range("a/x", "b").Select(d => d.Path));
        Assert.Equal(7, db.Docs.Count());
        Assert.Equal(7, db.Docs.Prefix("").Count());
    }

    [Fact]
    public void Collections_stay_apart_in_one_store()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io"));
        db.Events.Put(new Event(1, "created"));
        db.Docs.Put(new Doc("users/1", "looks like a user key but is a doc", 1));
        Assert.Single(db.Users.All());
        Assert.Single(db.Events.All());
        Assert.Single(db.Docs.All());
    }
}
