using TypedSkv;

// The engine in one screen: open, write, read, scan, batch, compact, reopen.
string dir = Path.Combine(Path.GetTempPath(), "typedskv-getting-started-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(dir);
string path = Path.Combine(dir, "app.skv");
try
{
    using (var store = SkvStore.Open(path)) // durable by default: each write is fsynced (concurrent writers share fsyncs)
    {
        store.Put("user:1", "alice");
        store.Put("user:2", "bob");
        store.Put("blob"u8, new byte[] { 1, 2, 3, 4 });
        store.Write(new SkvWriteBatch().Put("user:3", "carol").Delete("user:2")); // atomic, also across a crash

        Console.WriteLine($"user:1 = {store.GetString("user:1")}");
        foreach (var entry in store.ScanPrefix("user:"))
            Console.WriteLine($"  {entry.KeyString} -> {entry.GetValueString()}");

        var compaction = store.Compact();
        Console.WriteLine($"compacted: {compaction.LiveRecords} live records, {compaction.BytesReclaimed} bytes reclaimed");
    }

    using (var reopened = SkvStore.Open(path))
    {
        Console.WriteLine($"after reopen: {reopened.Count} keys, user:3 = {reopened.GetString("user:3")}");
        if (reopened.Count != 3 || reopened.ContainsKey("user:2")) return 1;
    }
    return 0;
}
finally
{
    Directory.Delete(dir, recursive: true);
}
