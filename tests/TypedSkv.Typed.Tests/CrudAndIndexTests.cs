namespace TypedSkv.Typed.Tests;

public class CrudAndIndexTests
{
    [Fact]
    public void Database_over_an_existing_store_leaves_it_open()
    {
        using var temp = new TempStore();
        using var store = SkvStore.Open(temp.Path, new SkvOptions { Durability = SkvDurability.None });
        using (var db = new TestDb(store))
        {
            db.Events.Put(new Event(1, "x"));
        }
        Assert.Single(store.ScanPrefix("events/"));
        Assert.Equal("""{"seq":1,"kind":"x"}""", store.GetString("events/0000000000000000001"));
    }
}
