namespace TypedSkv.Typed.Tests;

public class StoreCopyAndConcurrencyTests
{
    /// <summary>
    /// A backup/restore moves key/value pairs; everything typed lives in them. Copying all entries (as a full
    /// restore does) gives an identical typed view; copying one collection's record prefix (as a prefix backup
    /// of "users/" does) needs RebuildIndexes.
    /// </summary>
    [Fact]
    public void Typed_view_is_identical_after_copying_entries_to_another_store()
    {
        using var temp = new TempStore();
        string copyPath = Path.Combine(temp.Directory, "copy.skv");
        string prefixPath = Path.Combine(temp.Directory, "prefix.skv");
        var options = new SkvOptions { Durability = SkvDurability.None };
        using var db = temp.Open();
        for (int i = 0; i < 50; i++) db.Users.Put(new User(i - 25, "n" + i, $"{i}@x", i % 3 == 0 ? "A" : "B"));
        db.Lines.Put(new OrderLine(1, "o-1", 1, 9.99m));

        using (var copy = TestDb.Open(copyPath, options))
        using (var prefixOnly = TestDb.Open(prefixPath, options))
        {
            foreach (var entry in db.Store.Scan()) copy.Store.Put(entry.Key.Span, entry.GetValue());
            foreach (var entry in db.Store.ScanPrefix(db.Users.KeyPrefix)) prefixOnly.Store.Put(entry.Key.Span, entry.GetValue());

            Assert.Equal(db.Users.All(), copy.Users.All());
            Assert.Equal(db.Users.ByCity.Find("A"), copy.Users.ByCity.Find("A"));
            Assert.Equal(db.Users.ByEmail.Get("7@x"), copy.Users.ByEmail.Get("7@x"));
            Assert.Equal(db.Lines.All(), copy.Lines.All());

            Assert.Equal(db.Users.All(), prefixOnly.Users.All());
            Assert.Empty(prefixOnly.Users.ByCity.Find("A"));
            Assert.Equal(100, prefixOnly.Users.RebuildIndexes());
            Assert.Equal(db.Users.ByCity.Find("A"), prefixOnly.Users.ByCity.Find("A"));
            Assert.Equal(db.Users.ByEmail.Get("7@x"), prefixOnly.Users.ByEmail.Get("7@x"));
        }
    }

    [Fact]
    public async Task Concurrent_typed_reads_and_writes_stay_consistent()
    {
        using var temp = new TempStore();
        using var db = temp.Open();
        const int PerThread = 300;
        var writers = Enumerable.Range(0, 3).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < PerThread; i++)
            {
                int id = t * PerThread + i;
                db.Users.Put(new User(id, "u" + id, $"{id}@x", "T" + t));
                db.Events.Put(new Event(id, "e" + id));
            }
        })).ToArray();
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            var random = new Random();
            while (!writers.All(w => w.IsCompleted))
            {
                int id = random.Next(3 * PerThread);
                if (db.Users.Get(id) is { } user)
                {
                    Assert.Equal(id, user.Id);
                    Assert.Equal($"{id}@x", user.Email);
                }
                if (db.Users.ByEmail.Get($"{id}@x") is { } byMail) Assert.Equal(id, byMail.Id);
                if (db.Events.Get(id) is { } ev) Assert.Equal("e" + id, ev.Kind);
            }
        })).ToArray();
        await Task.WhenAll([.. writers, .. readers]);

        Assert.Equal(3 * PerThread, db.Users.Count());
        for (int t = 0; t < 3; t++) Assert.Equal(PerThread, db.Users.ByCity.Find("T" + t).Count);
    }
}
