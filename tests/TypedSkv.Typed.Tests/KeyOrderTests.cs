namespace TypedSkv.Typed.Tests;

public class KeyOrderTests
{
    [Fact]
    public void Int_keys_scan_in_numeric_order_negatives_first()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        int[] ids = [10, -1, int.MaxValue, 0, int.MinValue, -1000, 3, 1_000_000, -2];
        foreach (int id in ids) db.Users.Put(new User(id, "u" + id, $"u{id}@x.io"));

        Assert.Equal(ids.Order(), db.Users.All().Select(u => u.Id));
        Assert.Equal([-2, -1, 0, 3], db.Users.Range(-2, 10).Select(u => u.Id));
        Assert.Equal(ids.Length, db.Users.Count());
    }

    [Fact]
    public void Long_keys_scan_in_numeric_order()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        long[] seqs = [long.MaxValue, -5, 0, long.MinValue, 1L << 40, -(1L << 40), 7];
        foreach (long seq in seqs) db.Events.Put(new Event(seq, "k"));
        Assert.Equal(seqs.Order(), db.Events.All().Select(e => e.Seq));
    }

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
    public void Composite_keys_sort_part_by_part()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        // Strings in a non-last part include prefixes of each other and the escaped bytes 0x00 and 0x01.
        string[] orderNos = ["", "a", "a\0", "a\u0001", "a\0b", "ab", "b", "Z", "é"];
        var lines = new List<OrderLine>();
        foreach (int customer in new[] { 5, -3, 0 })
            foreach (string no in orderNos)
                foreach (int line in new[] { 2, -1, 10 })
                    lines.Add(new OrderLine(customer, no, line, customer + line));
        foreach (var l in lines.OrderBy(_ => Guid.NewGuid())) db.Lines.Put(l);

        var expected = lines
            .OrderBy(l => l.CustomerId)
            .ThenBy(l => System.Text.Encoding.UTF8.GetBytes(l.OrderNo), Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y)))
            .ThenBy(l => l.Line)
            .ToList();
        Assert.Equal(expected, db.Lines.All().ToList());

        Assert.Equal(expected.Where(l => l.CustomerId == 0), db.Lines.WithCustomerId(0));
        Assert.Equal(expected.Where(l => l.CustomerId == 5 && l.OrderNo == "a"), db.Lines.WithCustomerIdAndOrderNo(5, "a"));
        Assert.Equal(new OrderLine(-3, "a\0b", 10, 7), db.Lines.Get(-3, "a\0b", 10));
        Assert.True(db.Lines.Contains(5, "", -1));
        Assert.True(db.Lines.Delete(5, "", -1));
        Assert.Null(db.Lines.Get((5, "", -1)));
        Assert.Equal(
            expected.Where(l => l.CustomerId == 0 && l.OrderNo is "a\0" or "a\0b"), // tuple order: "a\0" < "a\0b" < "a\u0001"
            db.Lines.Range((0, "a\0", int.MinValue), (0, "a\u0001", int.MinValue)));
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
