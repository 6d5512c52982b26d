using System.IO.Hashing;
using System.Reflection;
using System.Text;
using TypedSkv.Storage;

namespace TypedSkv.Tests;

/// <summary>
/// Adversarial review of session 3's engine changes (restore transactions, whole-store passes, the sync thread):
/// each test fails on the code it was written against and names the bug in its name.
/// </summary>
public sealed class ReviewSession3Tests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private static string Key(int i) => Convert.ToHexStringLower(XxHash3.Hash(BitConverter.GetBytes(i)));

    private static Dictionary<string, string> Contents(SkvStore store) => StoreDigest.Text(store);

    private Dictionary<string, string> ReplayedFromLog()
    {
        using var replayed = SkvStore.OpenReadOnly(DbPath, verifyWholeLog: true);
        return Contents(replayed);
    }

    private static void FillExisting(SkvStore store, int keys)
    {
        for (int i = 0; i < keys; i++) store.Put(Key(i), "old" + i);
        store.WaitForCheckpoint();
    }

    /// <summary>
    /// A large restore (its index spilled to runs) whose commit record is appended to the write buffer, and the
    /// write that hands the buffer to the OS (SyncAll's FlushBuffer) is refused with nothing landing (EIO/ENOSPC
    /// before any byte): Commit throws, the store is not poisoned, and the rollback appends an Abort record behind
    /// the Commit record still in the buffer. The next flush writes both: at the next open the "failed" restore
    /// has taken effect. (The ordinary commit path drops the refused Commit record: AbandonFailedWrite.)
    /// </summary>
    [Fact]
    public void A_restore_whose_commit_flush_is_refused_must_not_take_effect_after_reopening()
    {
        var seam = new FileSeam();
        var options = new SkvOptions
        {
            Durability = SkvDurability.None, CheckpointThreshold = 200, RestoreSortBufferBytes = 4096,
            WriteBufferSize = 16 * 1024, Seam = seam,
        };
        Dictionary<string, string> before;
        bool committed = false;
        using (var store = SkvStore.Open(DbPath, options))
        {
            FillExisting(store, 300);
            store.Flush();
            before = Contents(store);
            using (var tx = store.BeginRestoreTransaction())
            {
                for (int i = 0; i < 1500; i++) tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes("restored" + i));
                // a value larger than the write buffer goes straight to the file and leaves the buffer empty, so the
                // next record and the Commit record sit in the buffer with room to spare
                tx.Put("big"u8, new byte[32 * 1024]);
                tx.Put("last"u8, "x"u8);
                string dataPath = Path.GetFullPath(DbPath);
                seam.Fault = (op, path, _, _) =>
                {
                    if (op == FileOperation.Write && path == dataPath) throw new IOException("injected: write refused, nothing written");
                };
                try
                {
                    tx.Commit();
                    committed = true;
                }
                catch (IOException)
                {
                }
                finally
                {
                    seam.Fault = null;
                }
            }
            Assert.False(committed, "the injected fault did not hit the commit's flush");
            // Commit threw: the store must serve what it held before
            Assert.Equal(before, Contents(store));
        } // Dispose flushes the write buffer
        using (var reopened = SkvStore.Open(DbPath, options with { Seam = null }))
            Assert.Equal(before, Contents(reopened));
        Assert.Equal(before, ReplayedFromLog());
    }

    /// <summary>
    /// A large restore whose commit record is durable, but whose index merge cannot read a sort run (EIO on the
    /// unlinked run file): IndexMergedLocked's fallback merges the same runs again, fails again, and the exception
    /// escapes Commit after the commit took effect in the log. The store is not poisoned and keeps serving (and
    /// writing on top of) the state from before the restore, while the log holds the restore: the process, a
    /// reopen and a full replay disagree (and Dispose may write a checkpoint of the old index covering the restore).
    /// </summary>
    [Fact]
    public void A_restore_whose_index_merge_fails_after_the_durable_commit_must_not_leave_memory_and_log_disagreeing()
    {
        var seam = new FileSeam();
        var options = new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200, RestoreSortBufferBytes = 4096, Seam = seam };
        Dictionary<string, string> inProcess;
        bool poisoned = false;
        var store = SkvStore.Open(DbPath, options);
        {
            FillExisting(store, 300);
            using (var tx = store.BeginRestoreTransaction())
            {
                for (int i = 0; i < 1500; i++) tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes("restored" + i));
                seam.Fault = (op, path, _, _) =>
                {
                    if (op == FileOperation.Read && path.Contains(".sort-", StringComparison.Ordinal)) throw new IOException("injected: EIO reading a sort run");
                };
                try
                {
                    tx.Commit();
                }
                catch (IOException)
                {
                }
                finally
                {
                    seam.Fault = null;
                }
            }
            try
            {
                store.Put("after", "1");
            }
            catch (SkvException)
            {
                poisoned = true; // refusing further writes until a reopen would be a consistent answer
            }
            inProcess = Contents(store);
            if (poisoned) Assert.Throws<SkvException>(store.Dispose); // a poisoned store refuses its final sync too
            else store.Dispose();
        }
        var replayed = ReplayedFromLog();
        using var reopened = SkvStore.Open(DbPath, options with { Seam = null });
        var afterReopen = Contents(reopened);
        Assert.Equal(replayed, afterReopen); // the checkpoint must never contradict the log
        if (!poisoned) Assert.Equal(replayed, inProcess); // what the process served is what the store holds
    }

    /// <summary>
    /// RestoreToNewStore with DryRun in replace mode runs the pass with no store (storage null): the key-order
    /// fast path is taken (no key set), and at the end removed = before!.Count - existing dereferences the null
    /// comparison view. Before b040d20 this counted (removed 0).
    /// </summary>
    [Fact]
    public void A_dry_run_replace_restore_into_a_new_store_counts_instead_of_throwing()
    {
        string backup = _dir.File("b.json");
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
        {
            for (int i = 0; i < 10; i++) store.Put(Key(i), "v" + i);
            store.Backup(backup);
        }
        var result = SkvBackup.RestoreToNewStore(_dir.File("new.skv"), backup, new RestoreOptions { Mode = RestoreMode.Replace, DryRun = true });
        Assert.Equal((10L, 0L), (result.Added, result.Removed));
        Assert.False(File.Exists(_dir.File("new.skv")));
    }
    /// <summary>
    /// A background checkpoint started (its task queued, the overlay frozen) just before a restore takes the
    /// checkpoint gate: the restore's commit writes a checkpoint that covers it, then the queued task gets the gate,
    /// finds the same file and writes the checkpoint of the frozen state over it (it only declines to publish it).
    /// Dispose sees nothing to checkpoint (the in-memory base covers everything), so the file on disk keeps a
    /// checkpoint from before the restore: the next open replays the whole restore into memory, which the restore
    /// transaction exists to avoid (10M records: their whole index in the overlay at open). The interleaving is made
    /// with the gate itself: the test holds it while the checkpoint task blocks on it, then hands it to the restore.
    /// </summary>
    [Fact]
    public void A_checkpoint_queued_before_a_restore_must_not_overwrite_the_checkpoint_the_restore_wrote()
    {
        var options = new SkvOptions { Durability = SkvDurability.None, CheckpointThreshold = 200, RestoreSortBufferBytes = 4096 };
        using (var store = SkvStore.Open(DbPath, options))
        {
            FillExisting(store, 300);
            var gate = (SemaphoreSlim)typeof(SkvStore).GetField("_checkpointGate", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(store)!;
            var waiters = typeof(SemaphoreSlim).GetField("m_waitCount", BindingFlags.NonPublic | BindingFlags.Instance)!;
            gate.Wait();
            for (int i = 300; i < 600; i++) store.Put(Key(i), "old" + i); // passes the threshold: a checkpoint task starts
            Assert.True(SpinWait.SpinUntil(() => (int)waiters.GetValue(gate)! > 0, TimeSpan.FromSeconds(30)), "no checkpoint task waits for the gate");
            gate.Release();
            using (var tx = store.BeginRestoreTransaction()) // takes the gate ahead of the woken task
            {
                for (int i = 0; i < 1500; i++) tx.Put(Encoding.UTF8.GetBytes(Key(i)), Encoding.UTF8.GetBytes("restored" + i));
                tx.Commit();
            }
            Assert.Equal(0, store.OverlayEntries);
            store.WaitForCheckpoint();
        }
        long length = new FileInfo(DbPath).Length;
        using var data = File.OpenHandle(DbPath);
        var checkpoint = Checkpoint.TryOpen(DbPath + Checkpoint.Suffix, data, length, _ => throw new InvalidOperationException(), out string? why);
        Assert.True(checkpoint is not null, why);
        try
        {
            Assert.True(checkpoint.CoveredEnd == length,
                $"the checkpoint on disk covers the log up to {checkpoint.CoveredEnd} of {length}: the next open replays the restore");
        }
        finally
        {
            checkpoint.Release();
        }
    }
    /// <summary>
    /// Compact takes the checkpoint gate with an unbounded Wait, then the write lock with the store's timeout. An
    /// ordinary open transaction makes it fail with SkvWriteLockTimeoutException after WriteLockTimeout; a restore
    /// transaction holds the gate as well, so Compact (and with it `dotnet skv compact` on a live store) blocks for
    /// the whole restore instead. The 10 s bound only detects the hang (the timeout is 100 ms).
    /// </summary>
    [Fact]
    public async Task Compact_during_a_restore_transaction_times_out_like_any_writer_instead_of_waiting_for_it()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, WriteLockTimeout = TimeSpan.FromMilliseconds(100) });
        store.Put("a", "1");
        Task compact;
        using (var tx = store.BeginRestoreTransaction())
        {
            tx.Put("b"u8, "2"u8);
            compact = Task.Run(store.Compact);
            bool ended = await Task.WhenAny(compact, Task.Delay(TimeSpan.FromSeconds(10))) == compact;
            if (!ended) tx.Dispose(); // let it go before failing, so the store can close
            Assert.True(ended, "Compact still waits for the checkpoint gate the restore transaction holds");
        }
        await Assert.ThrowsAsync<SkvWriteLockTimeoutException>(() => compact);
    }
}
