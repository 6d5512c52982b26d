namespace TypedSkv.Typed.Tests;

/// <summary>Index range queries with paging, and Exists (issue 15: lookups were exact-match only).</summary>
public sealed class IndexQueryTests : IDisposable
{
    private readonly TempStore _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_range_on_a_non_unique_int_index_is_ordered_by_value_then_key_and_pages()
    {
        using var db = _temp.Open();
        int[] versions = [5, -3, 7, 5, 12, 0, 5, int.MaxValue, int.MinValue];
        for (int i = 0; i < versions.Length; i++) db.Docs.Put(new Doc($"d{i}", "", versions[i]));

        var all = db.Docs.ByVersion.Range(-3, 8);
        Assert.Null(all.Next);
        Assert.Equal([-3, 0, 5, 5, 5, 7], all.Items.Select(d => d.Version));
        Assert.Equal(["d1", "d5", "d0", "d3", "d6", "d2"], all.Items.Select(d => d.Path));

        var pages = new List<List<string>>();
        SkvIndexCursor? after = null;
        do
        {
            var page = db.Docs.ByVersion.Range(int.MinValue, int.MaxValue, limit: 2, after: after);
            pages.Add(page.Items.Select(d => d.Path).ToList());
            after = page.Next;
            if (pages.Count == 2) db.Docs.Put(new Doc("a-new", "", 1)); // written behind the cursor: not seen
        } while (after is not null);
        Assert.Equal([["d8", "d1"], ["d5", "d0"], ["d3", "d6"], ["d2", "d4"]], pages);
        Assert.Empty(db.Docs.ByVersion.Range(8, 8).Items);
    }

    [Fact]
    public void Ranges_on_string_indexes_use_ordinal_order_and_Exists_answers_both_kinds()
    {
        using var db = _temp.Open();
        db.Users.Put(new User(1, "Ann", "ann@x.io", "Oslo"));
        db.Users.Put(new User(2, "Bob", "bob@x.io", "Oslo2"));
        db.Users.Put(new User(3, "Cid", "cid@x.io", "Osl"));
        db.Users.Put(new User(4, "Dee", "dee@x.io", "Rome"));
        db.Users.Put(new User(5, "Eve", "eve@x.io"));

        Assert.Equal([3, 1], db.Users.ByCity.Range("Osl", "Oslo2").Items.Select(u => u.Id));
        Assert.Equal([3, 1, 2], db.Users.ByCity.Range("O", "P").Items.Select(u => u.Id));
        Assert.Equal([2, 3], db.Users.ByEmail.Range("b", "d").Items.Select(u => u.Id));

        Assert.True(db.Users.ByEmail.Exists("ann@x.io"));
        Assert.False(db.Users.ByEmail.Exists("ann@x.i"));
        Assert.True(db.Users.ByCity.Exists("Osl"));
        Assert.False(db.Users.ByCity.Exists("Os"));     // a value's prefix is not the value
        db.Users.Delete(3);
        Assert.False(db.Users.ByCity.Exists("Osl"));
        Assert.Throws<ArgumentOutOfRangeException>(() => db.Users.ByCity.Range("A", "Z", limit: 0));
        Assert.Throws<ArgumentException>(() => db.Users.ByCity.Range("A", "Z", after: new SkvIndexCursor("docs#version/1"u8.ToArray())));
    }
}
