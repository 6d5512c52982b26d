using System.Diagnostics;
using System.Text;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Storage;

namespace TypedSkv.Tests;

/// <summary>
/// Issue 11 regressions: what other processes, path aliases, injected system-call failures and async code did to
/// acknowledged data. Each failed on the 0.1.0 engine (see the notes on each).
/// </summary>
public sealed class Issue11EngineCorrectnessTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string DbPath => _dir.File("data.skv");

    public void Dispose() => _dir.Dispose();

    private static byte[] ReadShared(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[f.Length];
        f.ReadExactly(bytes);
        return bytes;
    }

    // ---------------------------------------------------------------- 1. rollback vs read-only opens

    [Fact]
    public void Bytes_a_reader_saw_before_a_rollback_stay_a_prefix_of_the_file_so_a_stitched_view_is_a_committed_state()
    {
        // 0.1.0 cut the rolled-back bytes off and the next commit reused their offsets: a reader that had read the
        // first part saw the deletes of the rolled-back transaction completed by the next one's commit record
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush, WriteBufferSize = 4096 });
        for (int i = 0; i < 2000; i++) store.Put($"k{i:D4}", $"value {i}");
        var tx = store.BeginTransaction();
        for (int i = 0; i < 500; i++) tx.Delete($"k{i * 4:D4}");   // enough to reach the file
        byte[] seenMidTransaction = ReadShared(DbPath);
        tx.Dispose();
        using (var next = store.BeginTransaction())
        {
            for (int i = 0; i < 300; i++) next.Put($"n{i:D4}", new string('x', i % 50));
            next.Commit();
        }
        byte[] later = ReadShared(DbPath);

        Assert.True(later.AsSpan().StartsWith(seenMidTransaction), "the file was rewritten under a reader");
        // what a reader that read the first part before the rollback and the rest after it would see
        byte[] stitched = [.. seenMidTransaction, .. later.AsSpan(seenMidTransaction.Length)];
        string copy = _dir.File("stitched.skv");
        File.WriteAllBytes(copy, stitched);
        using var view = SkvStore.OpenReadOnly(copy);
        Assert.Equal(2300, view.Count);
        for (int i = 0; i < 2000; i++) Assert.True(view.ContainsKey($"k{i:D4}"), $"k{i:D4} lost");

        // and the bytes seen mid-transaction alone are a committed prefix: the unfinished batch is ignored
        File.WriteAllBytes(copy, seenMidTransaction);
        using var early = SkvStore.OpenReadOnly(copy);
        Assert.Equal(2000, early.Count);
        Assert.True(early.Recovery.DiscardedBatchRecords > 0);
    }

    [Fact]
    public void Rollback_and_recovery_never_change_the_length_of_a_mapped_file_as_Windows_requires()
    {
        var seam = new FileSeam { StrictWindowsRules = true };
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Flush, WriteBufferSize = 4096, Seam = seam }))
        {
            for (int i = 0; i < 300; i++) store.Put($"k{i:D4}", new string('v', 100));
            using var snapshot = store.GetSnapshot(); // keeps the file mapped
            var tx = store.BeginTransaction();
            for (int i = 0; i < 200; i++) tx.Put($"t{i:D4}", new string('t', 100));
            tx.Dispose(); // 0.1.0 truncated the mapped file here
            store.Put("after", "1");
            Assert.Equal(301, store.Count);
        }
        using var reopened = SkvStore.Open(DbPath, new SkvOptions { Seam = seam });
        Assert.Equal(301, reopened.Count);
        Assert.False(reopened.Recovery.Repaired);
    }

    // ---------------------------------------------------------------- 7. scan racing a truncation

    [Fact]
    public void A_read_only_scan_of_a_file_that_became_shorter_reports_a_torn_tail_not_EndOfStreamException()
    {
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
            for (int i = 0; i < 100; i++) store.Put($"k{i:D3}", "value");
        long actual = new FileInfo(DbPath).Length;
        using var handle = File.OpenHandle(DbPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // the length was read before a writer's recovery cut the file: 0.1.0 threw a bare EndOfStreamException
        foreach (long claimed in new[] { actual + 1, actual + 7, actual + 40, actual + (2 << 20) })
        {
            var scan = LogScanner.Scan(DbPath, handle, claimed, concurrentWriterPossible: true);
            Assert.Equal(100, scan.Count);
            Assert.Equal(actual, scan.CommittedEnd);
        }
    }

    // ---------------------------------------------------------------- 2. one writer per file, whatever names it

    [Fact]
    public void A_symlink_to_an_open_store_cannot_take_a_second_writer_lock()
    {
        string alias = _dir.File("alias.skv");
        using var writer = SkvStore.Open(DbPath);
        File.CreateSymbolicLink(alias, DbPath);
        Assert.Throws<SkvLockedException>(() => SkvStore.Open(alias));
        writer.Put("a", "1");
        Assert.Equal("1", writer.GetString("a"));
    }

    [Fact]
    public void A_hard_link_to_an_open_store_cannot_take_a_second_writer_lock_and_compaction_refuses_to_split_the_names()
    {
        string link = _dir.File("link.skv");
        using (var writer = SkvStore.Open(DbPath))
        {
            writer.Put("a", "1");
            HardLink(DbPath, link);
            Assert.Throws<SkvLockedException>(() => SkvStore.Open(link));
            var refused = Assert.Throws<SkvException>(() => writer.Compact());
            Assert.Contains("hard link", refused.Message);
            writer.Put("b", "2");
        }
        using var viaLink = SkvStore.Open(link);
        Assert.Equal(["a", "b"], viaLink.Scan().Select(e => e.KeyString));
    }

    [Fact]
    public void Compaction_through_a_symlink_keeps_the_link_and_rewrites_the_real_file()
    {
        string real = _dir.File("real.skv");
        string alias = _dir.File("alias.skv");
        using (var seed = SkvStore.Open(real)) seed.Put("seed", "0");
        File.CreateSymbolicLink(alias, real);
        using (var store = SkvStore.Open(alias))
        {
            for (int i = 0; i < 50; i++) store.Put("k", $"v{i}");
            store.Compact();
            store.Put("after", "1");
            // a second writer through the real name is still refused after the lock moved to the new file
            Assert.Throws<SkvLockedException>(() => SkvStore.Open(real));
        }
        Assert.NotNull(new FileInfo(alias).LinkTarget);
        using var viaReal = SkvStore.Open(real);
        Assert.Equal("v49", viaReal.GetString("k"));
        Assert.Equal("1", viaReal.GetString("after"));
    }

    [Fact]
    public void A_writer_in_another_process_is_named_by_its_process_id_through_any_alias()
    {
        string alias = _dir.File("alias.skv");
        File.CreateSymbolicLink(alias, DbPath);
        using var child = new ChildProcess("hold", DbPath);
        Assert.Equal("ready", child.ReadLine());
        var locked = Assert.Throws<SkvLockedException>(() => SkvStore.Open(alias));
        Assert.Equal(child.Process.Id, locked.HolderProcessId);
        Assert.Contains($"process {child.Process.Id}", locked.Message);
        Assert.True(SkvStore.HasActiveWriter(alias));
        child.Process.StandardInput.WriteLine();
        Assert.Equal(0, child.WaitForExit());
        Assert.False(SkvStore.HasActiveWriter(DbPath));
    }

    private static void HardLink(string existing, string link)
    {
        var psi = new ProcessStartInfo("ln") { ArgumentList = { existing, link }, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    // ---------------------------------------------------------------- 4. compaction keeps mode and owner

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Compaction_keeps_the_files_permission_bits()
    {
        using var store = SkvStore.Open(DbPath);
        store.Put("a", "1");
        File.SetUnixFileMode(DbPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        store.Compact();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DbPath));
    }

    [Fact]
    public void Compaction_by_root_keeps_the_files_owner()
    {
        if (!IsRoot()) return; // chown to another user needs root; CI runs as root
        using var store = SkvStore.Open(DbPath);
        store.Put("a", "1");
        Chown(DbPath, 65534, 65534);
        store.Compact();
        var status = Native.TryStat(DbPath)!.Value;
        Assert.Equal((65534u, 65534u), (status.Uid, status.Gid));
    }

    private static bool IsRoot() => Environment.UserName == "root";

    private static void Chown(string path, int uid, int gid)
    {
        var psi = new ProcessStartInfo("chown") { ArgumentList = { $"{uid}:{gid}", path }, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
    }

    // ---------------------------------------------------------------- 5. transactions without thread affinity

    [Fact]
    public void The_thread_that_began_a_transaction_can_write_once_another_thread_commits_it()
    {
        // 0.1.0 tied the transaction to the thread that began it: that thread, back in the pool and serving another
        // request, got a false InvalidOperationException for its own write
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None });
        SkvTransaction? tx = null;
        using var begun = new ManualResetEventSlim();
        Exception? beganThreadError = null;
        var beganThread = new Thread(() =>
        {
            tx = store.BeginTransaction();
            tx.Put("from-tx", "1");
            begun.Set();
            try { store.Put("later", "2"); } // waits for the write lock until the other thread commits
            catch (Exception ex) { beganThreadError = ex; }
        });
        beganThread.Start();
        begun.Wait();
        tx!.Commit();
        Assert.True(beganThread.Join(TimeSpan.FromSeconds(30)));
        Assert.Null(beganThreadError);
        Assert.Equal("1", store.GetString("from-tx"));
        Assert.Equal("2", store.GetString("later"));
    }

    [Fact]
    public async Task A_transaction_works_across_await_with_the_async_api()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync });
        using (var tx = await store.BeginTransactionAsync())
        {
            tx.Put("a", "1");
            await Task.Yield();
            await Task.Run(() => { }); // the continuation may run on any thread
            tx.Put("b", "2");
            await tx.CommitAsync();
        }
        await store.WriteAsync(new SkvWriteBatch().Put("c", "3").Delete("a"));
        Assert.Equal(["b", "c"], store.Scan().Select(e => e.KeyString));
        store.Dispose();
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal(2, reopened.Count);
    }

    [Fact]
    public async Task An_async_writer_waiting_for_the_lock_is_cancelled_or_times_out_with_a_clear_error()
    {
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None, WriteLockTimeout = TimeSpan.FromMilliseconds(100) });
        using var tx = store.BeginTransaction();
        var timedOut = await Assert.ThrowsAsync<SkvWriteLockTimeoutException>(() => store.BeginTransactionAsync());
        Assert.Equal(TimeSpan.FromMilliseconds(100), timedOut.Timeout);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.WriteAsync(new SkvWriteBatch().Put("x", "1"), cts.Token));
        tx.Put("y", "1");
        await tx.CommitAsync();
        await store.WriteAsync(new SkvWriteBatch().Put("x", "1"));
        Assert.Equal(2, store.Count);
    }

    // ---------------------------------------------------------------- 6. group commit never waits for a transaction

    [Fact]
    public void A_durable_put_is_acknowledged_while_another_writer_holds_a_transaction_open()
    {
        // 0.1.0's sync leader took the write lock to find its target, so a put that had reached the OS waited for
        // any transaction that began meanwhile (a restore, an index rebuild) to commit
        var seam = new FileSeam();
        using var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync, Seam = seam });
        store.Put("warm", "0");
        using var txOpen = new ManualResetEventSlim();
        using var releaseTx = new ManualResetEventSlim();
        Thread? second = null, holder = null;
        Exception? secondError = null;
        int syncs = 0;
        seam.Fault = (op, _, _, _) =>
        {
            if (op != FileOperation.SyncData || Interlocked.Increment(ref syncs) != 1) return;
            // while the first put's sync runs: a second put appends and waits, then a transaction takes the lock
            second = new Thread(() =>
            {
                try { store.Put("second", "2"); }
                catch (Exception ex) { secondError = ex; }
            });
            second.Start();
            SpinWait.SpinUntil(() => store.ContainsKey("second"), TimeSpan.FromSeconds(30));
            holder = new Thread(() =>
            {
                using var tx = store.BeginTransaction();
                tx.Put("tx", "1");
                txOpen.Set();
                releaseTx.Wait();
                tx.Commit();
            });
            holder.Start();
            txOpen.Wait();
        };
        store.Put("first", "1");
        Assert.True(second!.Join(TimeSpan.FromSeconds(30)), "the durable put waited for the open transaction");
        Assert.Null(secondError);
        Assert.False(store.ContainsKey("tx")); // the transaction was open all along
        releaseTx.Set();
        holder!.Join();
        Assert.Equal("1", store.GetString("tx"));
    }

    [Fact]
    public void A_writer_waiting_on_the_old_file_is_not_acknowledged_when_compactions_directory_sync_fails()
    {
        // review: compaction marked the old file's waiters durable before its directory sync, so a failed sync still
        // acknowledged them
        var seam = new FileSeam();
        var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.Fsync, Seam = seam });
        for (int i = 0; i < 50; i++) store.Put($"k{i}", "v");
        using var leaderSyncing = new ManualResetEventSlim();
        using var releaseLeader = new ManualResetEventSlim();
        bool armed = true;
        int syncs = 0;
        seam.Fault = (op, _, _, _) =>
        {
            if (!Volatile.Read(ref armed)) return;
            if (op == FileOperation.SyncDirectory) throw new IOException("injected EIO on the directory fsync");
            if (op == FileOperation.SyncData && Interlocked.Increment(ref syncs) == 1)
            {
                leaderSyncing.Set();
                releaseLeader.Wait();
                throw new IOException("injected EIO on the old file's fdatasync");
            }
        };
        var leader = Task.Run(() => store.Put("w1", "x"));
        leaderSyncing.Wait();
        var waiter = Task.Run(() => store.Put("w2", "y"));
        SpinWait.SpinUntil(() => store.ContainsKey("w2"), TimeSpan.FromSeconds(30)); // appended, now waiting for a sync
        Assert.Throws<IOException>(() => store.Compact());
        Assert.True(store.IsFailed);
        releaseLeader.Set();
        Assert.ThrowsAny<Exception>(() => leader.GetAwaiter().GetResult());
        var refused = Assert.ThrowsAny<Exception>(() => waiter.GetAwaiter().GetResult());
        Assert.True(refused is SkvException or IOException, refused.ToString());
        Volatile.Write(ref armed, false);
        Assert.Throws<SkvException>(() => store.Dispose()); // poisoned: the final sync is refused too
    }

    // ---------------------------------------------------------------- 3. failures at the system-call boundary

    private static string[] Strace(string syscall, string when)
    {
        // glibc may make rename(3) with any of the three rename system calls
        string set = syscall == "rename" ? "rename,renameat,renameat2" : syscall;
        return ["strace", "-f", "-qq", "-o", "/dev/null", "-e", $"trace={set}", "-e", $"inject={set}:error=EIO:when={when}"];
    }

    private static Dictionary<string, string> Probe(string[] wrapper, string path, string ops)
    {
        var (code, output) = ChildProcess.RunWrapped(wrapper, "probe", path, ops);
        Assert.True(code == 0, $"probe exited {code}: {output}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split(' ', 2))
            .ToDictionary(p => p[0], p => p[1]);
    }

    [Fact]
    public void EIO_on_a_data_fsync_fails_that_put_and_every_write_after_it()
    {
        StraceSupport.Require();
        using (var create = SkvStore.Open(DbPath)) create.Put("before", "0");
        // the third fdatasync of the child fails: 0.1.0 acknowledged every put, a transaction and a compaction
        var r = Probe(Strace("fdatasync", "3"), DbPath, "put,put,put,put,tx,compact,put");
        Assert.Equal("ok", r["put0"]);
        Assert.Equal("ok", r["put1"]);
        Assert.StartsWith("fail IOException", r["put2"]);
        Assert.Contains("EIO", r["put2"].Replace("Input/output error", "EIO"));
        foreach (var later in new[] { "put3", "tx4", "compact5", "put6" })
        {
            Assert.StartsWith("fail SkvException", r[later]);
            Assert.Contains("reopen", r[later]);
        }
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal("value0", reopened.GetString("probe0"));
        Assert.Equal("value1", reopened.GetString("probe1"));
        Assert.False(reopened.ContainsKey("probe3"));
        Assert.False(reopened.ContainsKey("probe4"));
    }

    [Fact]
    public void EIO_on_the_directory_fsync_after_a_compaction_fails_it_and_poisons_the_store()
    {
        StraceSupport.Require();
        using (var create = SkvStore.Open(DbPath))
            for (int i = 0; i < 20; i++) create.Put("k", $"v{i}");
        // directories are synced with fsync, data files with fdatasync: only the compaction's directory sync fails
        var r = Probe(Strace("fsync", "1+"), DbPath, "put,compact,put");
        Assert.Equal("ok", r["put0"]);
        Assert.StartsWith("fail IOException", r["compact1"]);
        Assert.Contains("fsync directory", r["compact1"]);
        Assert.StartsWith("fail SkvException", r["put2"]);
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal("v19", reopened.GetString("k"));
        Assert.Equal("value0", reopened.GetString("probe0"));
        Assert.False(reopened.ContainsKey("probe2"));
    }

    [Fact]
    public void EIO_on_the_compaction_rename_fails_it_keeps_the_old_file_and_poisons_the_store()
    {
        StraceSupport.Require();
        using (var create = SkvStore.Open(DbPath))
            for (int i = 0; i < 20; i++) create.Put("k", $"v{i}");
        long before = new FileInfo(DbPath).Length;
        var r = Probe(Strace("rename", "1+"), DbPath, "put,compact,put");
        Assert.Equal("ok", r["put0"]);
        Assert.StartsWith("fail IOException", r["compact1"]);
        Assert.StartsWith("fail SkvException", r["put2"]);
        Assert.True(new FileInfo(DbPath).Length > before); // still the old, uncompacted file (plus put0)
        Assert.False(File.Exists(DbPath + ".compact"));
        using var reopened = SkvStore.Open(DbPath);
        Assert.Equal("v19", reopened.GetString("k"));
        Assert.Equal("value0", reopened.GetString("probe0"));
    }

    [Fact]
    public void EIO_on_a_backups_fsync_fails_the_backup_and_leaves_no_file()
    {
        StraceSupport.Require();
        using (var create = SkvStore.Open(DbPath)) create.Put("a", "1");
        string backup = _dir.File("b.json");
        // fdatasync #1 is the put's; #2 is the backup's temp file
        var r = Probe(Strace("fdatasync", "2"), DbPath, $"put,backup:{backup}");
        Assert.Equal("ok", r["put0"]);
        Assert.StartsWith("fail IOException", r["backup1"]);
        Assert.False(File.Exists(backup));
        Assert.Empty(Directory.GetFiles(_dir.Path, "b.json.tmp-*"));
    }

    // ---------------------------------------------------------------- compatibility

    [Fact]
    public void A_store_written_by_0_1_0_opens_read_only_as_it_is_and_is_upgraded_at_its_first_writable_open()
    {
        using (var store = SkvStore.Open(DbPath, new SkvOptions { Durability = SkvDurability.None }))
            for (int i = 0; i < 10; i++) store.Put($"k{i}", $"v{i}");
        // make it a 0.1.0 file: same layout, version 1 in the header
        byte[] bytes = File.ReadAllBytes(DbPath);
        var header = new byte[RecordFormat.FileHeaderSize];
        RecordFormat.CheckFileHeader(bytes, out var created);
        RecordFormat.WriteFileHeader(header, created, version: 1);
        header.CopyTo(bytes, 0);
        File.WriteAllBytes(DbPath, bytes);

        using (var ro = SkvStore.OpenReadOnly(DbPath))
        {
            Assert.Equal(1, ro.FormatVersion);
            Assert.Equal(10, ro.Count);
        }
        Assert.Equal(1, BitConverter.ToUInt16(File.ReadAllBytes(DbPath), 8));
        using (var rw = SkvStore.Open(DbPath))
        {
            Assert.Equal(RecordFormat.FormatVersion, rw.FormatVersion);
            Assert.Equal("v3", rw.GetString("k3"));
            using (var tx = rw.BeginTransaction()) tx.Put("rolled", "back");
        }
        Assert.Equal(RecordFormat.FormatVersion, BitConverter.ToUInt16(File.ReadAllBytes(DbPath), 8));
        using var again = SkvStore.OpenReadOnly(DbPath);
        Assert.Equal(10, again.Count);
    }
}

/// <summary>
/// strace for the system-call fault tests: .ci/run installs it, and so does this (apt-get, as root) when it is missing;
/// a machine where it cannot run fails these tests loudly rather than skipping them.
/// </summary>
internal static class StraceSupport
{
    private static readonly Lazy<string?> Problem = new(() =>
    {
        if (!File.Exists("/usr/bin/strace") && Environment.UserName == "root")
        {
            using var install = Process.Start(new ProcessStartInfo("sh", "-c \"apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq strace\"")
            {
                UseShellExecute = false,
            });
            install?.WaitForExit();
        }
        try
        {
            var psi = new ProcessStartInfo("strace", "-f -qq -o /dev/null -e inject=fdatasync:error=EIO true")
            {
                UseShellExecute = false,
                RedirectStandardError = true,
            };
            using var p = Process.Start(psi)!;
            string err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"strace cannot trace here (exit {p.ExitCode}): {err}";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "strace is not installed (apt-get install strace; .ci/run does)";
        }
    });

    public static void Require()
    {
        if (Problem.Value is { } problem) Assert.Fail(problem);
    }
}
