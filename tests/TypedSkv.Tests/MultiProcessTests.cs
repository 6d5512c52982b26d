namespace TypedSkv.Tests;

/// <summary>Tests that need a second process: the OS lock, read-only openers, and SIGKILL in the middle of writes.</summary>
public sealed class MultiProcessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_writer_process_is_refused_while_the_first_holds_the_store()
    {
        using (var holder = new ChildProcess("hold", DbPath))
        {
            Assert.Equal("ready", holder.ReadLine());
            var (code, output) = ChildProcess.Run("try-open", DbPath);
            Assert.Equal(3, code);
            Assert.StartsWith("locked: ", output);
            Assert.Throws<SkvLockedException>(() => SkvStore.Open(DbPath));
        }
        // the holder was killed: the OS released its lock
        var (after, _) = ChildProcess.Run("try-open", DbPath);
        Assert.Equal(0, after);
    }

    [Fact]
    public void A_read_only_opener_in_another_process_sees_committed_data_while_the_writer_runs()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush });
        store.Put("greeting", "hello");
        for (int i = 0; i < 100; i++) store.Put($"k{i}", "v");
        var (code, output) = ChildProcess.Run("read", DbPath, "greeting");
        Assert.Equal(0, code);
        Assert.Contains("value=hello", output);
        Assert.Contains("count=101", output);
    }

    [Fact]
    public void A_reader_in_this_process_sees_data_a_writer_process_committed()
    {
        using var holder = new ChildProcess("hold", DbPath, "from-child", "42");
        Assert.Equal("ready", holder.ReadLine());
        using var ro = SkvStore.OpenReadOnly(DbPath);
        Assert.Equal("42", ro.GetString("from-child"));
    }

    [Fact]
    public void A_batch_interrupted_by_SIGKILL_is_all_or_none()
    {
        const int perBatch = 30;
        for (int run = 0; run < 3; run++)
        {
            int lastAcked;
            using (var child = new ChildProcess("batches", DbPath, perBatch.ToString()))
            {
                int target = 5 + run * 7;
                string? line;
                lastAcked = -1;
                while ((line = child.ReadLine()) is not null)
                {
                    lastAcked = int.Parse(line["committed ".Length..]);
                    if (lastAcked >= target) break;
                }
                Thread.Sleep(run * 3); // land the kill at different points of the next batch
                child.Kill();
            }
            using var store = SkvStore.Open(DbPath);
            int last = int.Parse(store.GetString("last"));
            Assert.True(last >= lastAcked, $"acknowledged batch {lastAcked} lost (store has {last})");
            // exactly one batch's keys are present, each complete
            var keys = store.Scan().Select(e => e.KeyString).Where(k => k != "last").ToList();
            Assert.Equal(perBatch, keys.Count);
            Assert.All(keys, k => Assert.StartsWith($"b{last}-", k));
            store.Dispose();
            File.Delete(DbPath);
        }
    }

    [Fact]
    public void Durable_puts_acknowledged_before_SIGKILL_are_never_lost()
    {
        for (int kill = 0; kill < 3; kill++)
        {
            int lastAcked = -1;
            using (var child = new ChildProcess("puts", DbPath))
            {
                int target = 20 + kill * 15;
                while (child.ReadLine() is { } line)
                {
                    lastAcked = int.Parse(line["acked ".Length..]);
                    if (lastAcked >= target) break;
                }
                child.Kill();
            }
            using var store = SkvStore.Open(DbPath);
            for (int i = 0; i <= lastAcked; i++) Assert.Equal($"v{i}", store.GetString($"k{i:D8}"));
            store.Dispose();
            File.Delete(DbPath);
        }
    }
}
