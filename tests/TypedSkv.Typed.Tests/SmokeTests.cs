namespace TypedSkv.Typed.Tests;

public class SmokeTests
{
    [Fact]
    public void Put_then_get()
    {
        string path = Path.Combine(Path.GetTempPath(), "skv-smoke-" + Guid.NewGuid().ToString("N") + ".skv");
        using (var db = TestDb.Open(path))
        {
            db.Users.Put(new User(1, "Ann", "ann@x.io"));
            Assert.Equal("Ann", db.Users.Get(1)?.Name);
        }
    }
}
