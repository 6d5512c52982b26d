using System.Reflection;
using System.Text;
using TypedSkv.Storage;

namespace TypedSkv.Tests;

/// <summary>Regressions from the review: failures meeting group commit, rollback, compaction and Dispose.</summary>
public sealed class FailureInteractionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("d.skv");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_writer_waiting_on_a_sync_that_failed_is_not_acknowledged_by_a_later_sync()
    {
        var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync });
        store.Put("a", "1");
        int calls = 0;
        Exception? waiterError = null;
        bool waiterAcknowledged = false;
        Thread? waiter = null;
        store.CurrentFile.BeforeFsync = () =>
        {
            if (Interlocked.Increment(ref calls) != 1) return;
            // while the leader's fsync is "running", another writer appends and waits for the next sync
            waiter = new Thread(() =>
            {
                try { store.Put("b", "2"); waiterAcknowledged = true; }
                catch (Exception ex) { waiterError = ex; }
            });
            waiter.Start();
            SpinWait.SpinUntil(() => store.ContainsKey("b"), 5000);
            Thread.Sleep(100);
            throw new IOException("Input/output error");
        };
        Assert.Throws<IOException>(() => store.Put("x", "leader"));
        waiter!.Join();
        Assert.False(waiterAcknowledged);
        Assert.IsType<SkvException>(waiterError);
        Assert.Equal(1, calls); // nobody fsynced again and called it durable
        Assert.Throws<SkvException>(() => store.Flush(durable: true));
        Assert.Throws<SkvException>(() => store.Dispose());
    }

    [Fact]
    public void A_write_that_fails_part_way_poisons_the_store_and_the_file_reopens_without_it()
    {
        var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush, WriteBufferSize = 4096 });
        store.Put("base", "0");
        var file = store.CurrentFile;
        var buffer = (byte[])typeof(DataFile).GetField("_buffer", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(file)!;
        var tx = store.BeginTransaction();
        // the disk fills up part way through a flush: a prefix of complete records lands in the file
        file.BeforeWrite = (offset, length) =>
        {
            RandomAccess.Write(file.Handle, buffer.AsSpan(0, length - 100), offset);
            throw new IOException("No space left on device");
        };
        Assert.Throws<IOException>(() =>
        {
            for (int i = 0; i < 100; i++) tx.Put(Encoding.UTF8.GetBytes($"k{i:D3}"), new byte[300]);
        });
        file.BeforeWrite = null;
        tx.Dispose();
        // the landed bytes may already be read by another process and cannot be taken back: no more writes
        var refused = Assert.Throws<SkvException>(() => store.Put("after", "1"));
        Assert.Contains("reopen", refused.Message);
        Assert.True(store.IsFailed);
        Assert.Equal("0", store.GetString("base"));
        Assert.Throws<SkvException>(() => store.Dispose());

        using (var reopened = SkvStore.Open(DbPath))
        {
            Assert.Equal(["base"], reopened.Scan().Select(e => e.KeyString));
            Assert.True(reopened.Recovery.Repaired);
            reopened.Put("after", "1");
        }
        using var again = SkvStore.Open(DbPath);
        Assert.Equal(["after", "base"], again.Scan().Select(e => e.KeyString));
        Assert.False(again.Recovery.Repaired);
    }

    [Fact]
    public void A_durable_put_whose_sync_meets_a_compaction_succeeds()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync });
        store.Put("a", "1");
        var old = store.CurrentFile;
        old.BeforeFsync = () =>
        {
            old.BeforeFsync = null;
            var compaction = new Thread(() => store.Compact());
            compaction.Start();
            compaction.Join();
        };
        store.Put("b", "2"); // must not throw ObjectDisposedException
        Assert.Equal("2", store.GetString("b"));
        Assert.NotSame(old, store.CurrentFile);
    }

    [Fact]
    public void Disposing_the_store_while_its_transaction_is_open_is_refused_not_a_deadlock()
    {
        var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        var tx = store.BeginTransaction();
        tx.Put("a", "1");
        Assert.Throws<InvalidOperationException>(() => store.Dispose());
        tx.Dispose();
        store.Dispose();
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal(0, reopened.Count);
    }

    [Fact]
    public void DropDamagedTail_cuts_the_file_at_damage_that_a_normal_open_refuses()
    {
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 10; i++) store.Put($"k{i}", $"value {i}");
        }
        byte[] bytes = File.ReadAllBytes(DbPath);
        int recordSize = 16 + 2 + "value 0".Length;
        int fifth = 32 + 5 * recordSize;
        bytes[fifth + 20] ^= 0xFF; // inside the sixth record's value
        File.WriteAllBytes(DbPath, bytes);

        var refused = Assert.Throws<SkvCorruptionException>(() => SkvStore.Open(DbPath));
        Assert.Equal(fifth, refused.Offset);
        Assert.Contains("DropDamagedTail", refused.Message);

        using var repaired = SkvStore.Open(DbPath, new SkvOptions { DropDamagedTail = true });
        Assert.Equal(5, repaired.Count);
        Assert.True(repaired.Recovery.Repaired);
        Assert.Equal(bytes.Length - fifth, repaired.Recovery.TruncatedBytes);
        Assert.Contains("dropped", repaired.Recovery.Reason);
    }
}
