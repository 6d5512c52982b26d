namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>Issue 13 item 5: stdin, stdout, FIFOs and links to them, through the installed tool and a real shell.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolPipeTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) => tool.Skv(_dir.Path, args);

    /// <summary>Runs a bash script in the test folder with <c>skv</c> naming the installed tool.</summary>
    private ProcessResult Shell(string script) =>
        ProcessRunner.Run("bash", ["-c", $"set -e -o pipefail; skv() {{ '{tool.ToolExecutable}' \"$@\"; }}; {script}"], _dir.Path, tool.Environment);

    private long Records(string db) => Skv("info", db, "--json").Json().GetProperty("records").GetInt64();

    [Fact]
    public void Backup_to_stdout_gzipped_pipes_into_restore_from_stdin()
    {
        TestStores.Create(_dir.File("app.skv"), 40);

        var r = Shell("skv backup app.skv - --gzip | skv restore new.skv -");

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("to stdout", r.Stderr);
        Assert.Equal(40, Records("new.skv"));
        Assert.Equal(0, Skv("check", "new.skv").ExitCode);
    }

    [Fact]
    public void Verify_reads_stdin_and_a_gzip_from_a_pipe_restores()
    {
        TestStores.Create(_dir.File("app.skv"), 40);
        Assert.Equal(0, Skv("backup", "app.skv", "app.json.gz").ExitCode);

        var verify = Shell("zcat app.json.gz | skv verify - --db app.skv");
        var substitution = Shell("skv restore sub.skv <(zcat app.json.gz)");
        var gzipOnStdin = Shell("skv restore gz.skv - < app.json.gz");

        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.True(substitution.ExitCode == 0, substitution.ToString());
        Assert.Equal(40, Records("sub.skv"));
        Assert.True(gzipOnStdin.ExitCode == 0, gzipOnStdin.ToString());
        Assert.Equal(40, Records("gz.skv"));
    }

    [Fact]
    public void A_fifo_and_a_link_to_stdout_are_written_as_they_are_never_replaced()
    {
        TestStores.Create(_dir.File("app.skv"), 10);

        // out.json: through a FIFO read by cat; via-link.json: through a link like /dev/stdout with stdout a file
        var fifo = Shell("mkfifo p; cat p > out.json & skv backup app.skv p; wait; test -p p");
        var linkToFile = Shell("ln -s /proc/self/fd/1 my-stdout; skv backup app.skv my-stdout > via-link.json; test -L my-stdout");
        var linkToPipe = Shell("skv backup app.skv my-stdout | cat > via-pipe.json; test -L my-stdout");

        Assert.True(fifo.ExitCode == 0, fifo.ToString());
        Assert.Equal(0, Skv("verify", "out.json", "--db", "app.skv").ExitCode);
        Assert.True(linkToFile.ExitCode == 0, linkToFile.ToString());
        Assert.Equal(0, Skv("verify", "via-link.json", "--db", "app.skv").ExitCode);
        Assert.True(linkToPipe.ExitCode == 0, linkToPipe.ToString());
        Assert.Equal(0, Skv("verify", "via-pipe.json", "--db", "app.skv").ExitCode);
    }

    [Fact]
    public void Stdout_backups_refuse_options_that_name_files()
    {
        TestStores.Create(_dir.File("app.skv"), 1);

        Assert.Equal(2, Skv("backup", "app.skv", "-", "--timestamp").ExitCode);
        Assert.Equal(2, Skv("backup", "app.skv", "-", "--json").ExitCode);
    }

    [Theory]
    [InlineData(8)]     // only the gzip trailer (CRC-32, length) missing: the JSON inside is complete
    [InlineData(2000)]  // cut inside the compressed records
    public void A_truncated_gzip_says_truncated_gzip_and_restores_nothing(int cut)
    {
        TestStores.Create(_dir.File("app.skv"), 300);
        Assert.Equal(0, Skv("backup", "app.skv", "b.json.gz").ExitCode);
        byte[] all = File.ReadAllBytes(_dir.File("b.json.gz"));
        File.WriteAllBytes(_dir.File("cut.json.gz"), all[..^cut]);

        var verify = Skv("verify", "cut.json.gz");
        var restore = Skv("restore", "new.skv", "cut.json.gz");
        var piped = Shell("cat cut.json.gz | skv restore piped.skv -");

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("truncated gzip", verify.Stdout);
        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("truncated gzip", restore.Stderr);
        Assert.False(File.Exists(_dir.File("new.skv")));
        Assert.Equal(1, piped.ExitCode);
        Assert.Contains("truncated gzip", piped.Stderr);
    }
}
