using System.Diagnostics;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>Issue 13 item 8: the writer lock in CLI terms, through the installed tool.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolLockTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    [Fact]
    public void A_locked_store_names_the_holding_process_and_what_works_beside_it()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 2);
        using var writer = WriterProcess.Hold(db);

        var put = Skv("put", "app.skv", "k", "v");
        var info = Skv("info", "app.skv");

        Assert.Equal(2, put.ExitCode);
        Assert.Contains($"process {writer.Id}", put.Stderr);
        Assert.Contains("Read-only commands work beside it", put.Stderr);
        Assert.Contains("--wait", put.Stderr);
        Assert.DoesNotContain("SkvStore", put.Stderr);
        Assert.Equal(0, info.ExitCode);
    }

    [Fact]
    public async Task Wait_takes_the_lock_once_the_writer_closes()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 2);
        var writer = WriterProcess.Hold(db);
        try
        {
            var psi = ProcessRunner.CreateStartInfo(tool.ToolExecutable, ["put", "app.skv", "k", "after", "--wait", "60"], _dir.Path, tool.Environment);
            using var put = Process.Start(psi)!;
            var stdout = put.StandardOutput.ReadToEndAsync();
            // the barrier: put says it is waiting; only then does the writer close
            string? line = await put.StandardError.ReadLineAsync();
            Assert.NotNull(line);
            Assert.StartsWith("note: waiting up to 60 s for the write lock", line);
            writer.Dispose();
            Assert.True(put.WaitForExit(60_000));
            Assert.Equal(0, put.ExitCode);
            Assert.StartsWith("added", await stdout);
        }
        finally
        {
            writer.Dispose();
        }
        using var store = SkvStore.OpenReadOnly(db);
        Assert.Equal("after", store.GetString("k"));
    }

    [Fact]
    public void A_transaction_in_progress_is_neither_a_torn_tail_nor_a_warning()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 2);
        using var writer = WriterProcess.HoldTransaction(db);
        Assert.True(new FileInfo(db).Length > 500_000, "the open transaction's records are not in the file");

        var check = Skv("check", "app.skv", "--json");
        var info = Skv("info", "app.skv", "--json");

        Assert.True(check.ExitCode == 0, check.ToString());
        Assert.True(check.Json().GetProperty("inProgressBytes").GetInt64() > 500_000);
        Assert.Equal(0, info.ExitCode);
        Assert.Equal(2, info.Json().GetProperty("records").GetInt64());
        Assert.Empty(info.Json().GetProperty("warnings").EnumerateArray());
        Assert.DoesNotContain("warning:", info.Stderr);
    }

    [Fact]
    public void Wait_gives_up_after_its_time_with_exit_2()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 2);
        using var writer = WriterProcess.Hold(db);

        var r = Skv("delete", "app.skv", "key:0000", "--wait", "0.3");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("still after waiting 0.3 s", r.Stderr);
    }

    [Fact]
    public void A_read_only_file_system_is_not_reported_as_locked()
    {
        // needs root and tmpfs (a CI container may not allow mounts): then nothing to check
        string mnt = Directory.CreateDirectory(_dir.File("ro")).FullName;
        if (ProcessRunner.Run("mount", ["-t", "tmpfs", "tmpfs", mnt], _dir.Path).ExitCode != 0) return;
        try
        {
            TestStores.Create(Path.Combine(mnt, "app.skv"), 2); // leaves app.skv.lock, as any writer does
            Assert.Equal(0, ProcessRunner.Run("mount", ["-o", "remount,ro", mnt], _dir.Path).ExitCode);

            var put = Skv("put", "ro/app.skv", "k", "v");
            var get = Skv("get", "ro/app.skv", "key:0001");

            Assert.Equal(2, put.ExitCode);
            Assert.Contains("Read-only file system", put.Stderr);
            Assert.DoesNotContain(" : '", put.Stderr);
            Assert.DoesNotContain("open for writing by", put.Stderr);
            Assert.Equal(0, get.ExitCode);
        }
        finally
        {
            ProcessRunner.Run("umount", [mnt], _dir.Path);
        }
    }
}

/// <summary>Issue 13 item 13: Ctrl-C during a restore into a new store leaves no store.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolInterruptTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Sigint_during_a_restore_into_a_new_store_exits_130_and_leaves_no_file()
    {
        using (var source = SkvStore.Open(_dir.File("src.skv"), new SkvOptions { Durability = SkvDurability.None }))
        {
            string filler = new('x', 200);
            for (int i = 0; i < 20_000; i++) source.Put($"key:{i:D6}", filler);
        }
        Assert.Equal(0, tool.Skv(_dir.Path, "backup", "src.skv", "b.json").ExitCode);
        byte[] backup = File.ReadAllBytes(_dir.File("b.json"));
        Assert.True(backup.Length > 3_000_000);

        var psi = ProcessRunner.CreateStartInfo(tool.ToolExecutable, ["restore", "new.skv", "-", "--no-progress"], _dir.Path, tool.Environment);
        using var restore = Process.Start(psi)!;
        var stderr = restore.StandardError.ReadToEndAsync();
        var stdin = restore.StandardInput.BaseStream;
        // the barrier: a pipe holds 64 KiB, so once 1 MB is written the restore is reading records (its signal
        // handler and its temporary store exist before it reads)
        await stdin.WriteAsync(backup.AsMemory(0, 1_000_000));
        await stdin.FlushAsync();
        Assert.Equal(0, ProcessRunner.Run("kill", ["-INT", restore.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)], _dir.Path).ExitCode);
        try
        {
            // more records: the restore notices the interrupt between two of them
            await stdin.WriteAsync(backup.AsMemory(1_000_000, 1_000_000));
            stdin.Close();
        }
        catch (IOException)
        {
            // it stopped reading: the pipe is closed
        }
        Assert.True(restore.WaitForExit(60_000));

        Assert.Equal(130, restore.ExitCode);
        Assert.Contains("nothing was written", await stderr);
        Assert.DoesNotContain(Directory.GetFiles(_dir.Path), f => Path.GetFileName(f).StartsWith("new.skv", StringComparison.Ordinal));
    }
}
