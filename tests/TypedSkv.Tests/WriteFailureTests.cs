namespace TypedSkv.Tests;

/// <summary>The OS refusing a write (disk full, I/O error): the caller gets the error and readers never see the write.</summary>
public sealed class WriteFailureTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private static void DiskFull(long offset, int length) => throw new IOException("No space left on device");

    [Theory]
    [InlineData(SkvDurability.Flush)]
    [InlineData(SkvDurability.Fsync)]
    public void A_refused_single_write_is_not_visible_and_the_store_keeps_working(SkvDurability durability)
    {
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = durability }))
        {
            store.Put("before", "1");
            store.CurrentFile.BeforeWrite = DiskFull;
            Assert.Throws<IOException>(() => store.Put("lost", "x"));
            Assert.Throws<IOException>(() => store.Delete("before"));
            Assert.Throws<IOException>(() => store.Write(new SkvWriteBatch().Put("b1", "1").Put("b2", "2")));
            Assert.False(store.ContainsKey("lost"));
            Assert.False(store.ContainsKey("b1"));
            Assert.Equal("1", store.GetString("before"));
            Assert.Equal(1, store.Count);

            store.CurrentFile.BeforeWrite = null; // space again
            store.Put("after", "2");
            Assert.Equal(2, store.Count);
        }
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal(["after", "before"], reopened.Scan().Select(e => e.KeyString));
        Assert.False(reopened.Recovery.Repaired);
    }

    [Fact]
    public void A_refused_flush_of_buffered_writes_surfaces_and_a_retry_keeps_them()
    {
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            store.Put("a", "1");
            store.CurrentFile.BeforeWrite = DiskFull;
            Assert.Throws<IOException>(() => store.Flush());
            Assert.Equal("1", store.GetString("a")); // still served from the write buffer
            store.CurrentFile.BeforeWrite = null;
            store.Flush();
        }
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal("1", reopened.GetString("a"));
    }
}

public sealed class FsyncFailureTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void After_a_failed_fsync_the_store_refuses_writes_but_keeps_serving_reads()
    {
        string path = _dir.File("d.skv");
        var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        store.Put("a", "1");
        store.CurrentFile.BeforeFsync = () => throw new IOException("Input/output error");
        Assert.Throws<IOException>(() => store.Put("b", "2"));
        var refused = Assert.Throws<SkvException>(() => store.Put("c", "3"));
        Assert.Contains("fsync failed", refused.Message);
        Assert.Contains("reopen", refused.Message);
        Assert.Equal("1", store.GetString("a"));
        Assert.Throws<SkvException>(() => store.Dispose()); // the final sync is refused too, and says so
        using var reopened = SkvStore.Open(path);
        Assert.Equal("1", reopened.GetString("a"));
        reopened.Put("c", "3");
        Assert.Equal("3", reopened.GetString("c"));
    }
}
