using System.Text;
using System.Text.RegularExpressions;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>Encrypted, zstd and incremental backups through the installed tool, as separate processes.</summary>
[Collection(ToolCollection.Name)]
public sealed class InstalledToolEncryptedBackupTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private ProcessResult Skv(params string[] args) =>
        ProcessRunner.Run(tool.ToolExecutable, args, _dir.Path,
            new Dictionary<string, string>(tool.Environment) { ["SKV_PASSPHRASE"] = "e2e passphrase" });

    private static Dictionary<string, string> Content(string db)
    {
        using var store = SkvStore.OpenReadOnly(db);
        return store.Scan().ToDictionary(e => e.KeyString, e => Convert.ToBase64String(e.GetValue()));
    }

    [Fact]
    public void Tampered_or_truncated_encrypted_backups_fail_restore_and_verify_with_the_store_unchanged()
    {
        TestStores.Create(_dir.File("app.skv"), 3000); // several 64 KiB chunks
        Assert.Equal(0, Skv("backup", "app.skv", "app.json", "--encrypt").ExitCode);
        byte[] good = File.ReadAllBytes(_dir.File("app.json"));
        Assert.True(good.Length > 3 * 65552);
        TestStores.Create(_dir.File("target.skv"), 5, keyPrefix: "t:");
        var before = Content(_dir.File("target.skv"));

        var damaged = new Dictionary<string, byte[]>
        {
            ["header byte"] = Flip(good, 9),
            ["salt byte"] = Flip(good, 30),
            ["chunk byte"] = Flip(good, 84 + 70_000),
            ["last byte"] = Flip(good, good.Length - 1),
            ["cut at the first chunk boundary"] = good[..(84 + 65552)],
            ["first two chunks swapped"] = [.. good[..84], .. good[(84 + 65552)..(84 + 2 * 65552)], .. good[84..(84 + 65552)], .. good[(84 + 2 * 65552)..]],
        };
        foreach (var (what, bytes) in damaged)
        {
            File.WriteAllBytes(_dir.File("bad.json"), bytes);
            var restore = Skv("restore", "target.skv", "bad.json", "--mode", "replace");
            var verify = Skv("verify", "bad.json");
            Assert.True(restore.ExitCode == 1, $"{what}: restore exit {restore.ExitCode} {restore.Stderr}");
            Assert.True(verify.ExitCode == 1, $"{what}: verify exit {verify.ExitCode} {verify.Stderr}");
            Assert.Equal(before, Content(_dir.File("target.skv")));
        }
        Assert.Equal(0, Skv("restore", "target.skv", "app.json", "--mode", "replace").ExitCode);
        Assert.Equal(Content(_dir.File("app.skv")), Content(_dir.File("target.skv")));
    }

    [Fact]
    public void Zstd_round_trip_and_a_corrupt_zstd_file()
    {
        TestStores.Create(_dir.File("app.skv"), 500);
        var backup = Skv("backup", "app.skv", "app.json", "--zstd", "--json");
        Assert.Equal(0, backup.ExitCode);
        Assert.EndsWith("app.json.zst", backup.Json().GetProperty("file").GetString());
        Assert.Equal(0, Skv("restore", "copy.skv", "app.json.zst").ExitCode);
        Assert.Equal(Content(_dir.File("app.skv")), Content(_dir.File("copy.skv")));

        byte[] bytes = File.ReadAllBytes(_dir.File("app.json.zst"));
        for (int i = 30; i < 60; i++) bytes[i] ^= 0x55;
        File.WriteAllBytes(_dir.File("bad.json.zst"), bytes);
        var restore = Skv("restore", "copy.skv", "bad.json.zst", "--mode", "replace");
        Assert.Equal(1, restore.ExitCode);
        Assert.Contains("zstd", restore.Stderr);
        Assert.Equal(1, Skv("verify", "bad.json.zst").ExitCode);
        Assert.Equal(Content(_dir.File("app.skv")), Content(_dir.File("copy.skv")));
    }

    [Fact]
    public void A_chain_of_three_restores_what_a_full_backup_at_the_end_holds()
    {
        string db = _dir.File("app.skv");
        TestStores.Create(db, 100);
        Assert.Equal(0, Skv("backup", "app.skv", "0.json.zst", "--encrypt").ExitCode);
        for (int day = 1; day <= 3; day++)
        {
            using (var store = SkvStore.Open(db))
            {
                store.Put($"key:{day:D4}", $"day {day}");
                store.Delete($"key:{day + 50:D4}");
                store.Put($"new:{day}", "x");
            }
            Assert.Equal(0, Skv("backup", "app.skv", $"{day}.json.zst", "--encrypt", "--incremental", $"{day - 1}.json.zst").ExitCode);
        }

        var restore = Skv("restore", "chain.skv", "0.json.zst", "1.json.zst", "2.json.zst", "3.json.zst", "--json");
        Assert.Equal(0, restore.ExitCode);
        Assert.Equal(0, Skv("verify", "0.json.zst", "1.json.zst", "2.json.zst", "3.json.zst", "--db", "chain.skv").ExitCode);
        Assert.Equal(0, Skv("backup", "app.skv", "end.json").ExitCode);
        Assert.Equal(0, Skv("backup", "chain.skv", "end-from-chain.json").ExitCode);
        static string WithoutTime(string path) => Regex.Replace(File.ReadAllText(path), "\"created_at\": \"[^\"]*\"", "");
        Assert.Equal(WithoutTime(_dir.File("end.json")), WithoutTime(_dir.File("end-from-chain.json")));

        var wrongOrder = Skv("restore", "other.skv", "0.json.zst", "2.json.zst", "1.json.zst", "3.json.zst");
        Assert.Equal(1, wrongOrder.ExitCode);
        Assert.Contains("broken chain", wrongOrder.Stderr);
        Assert.False(File.Exists(_dir.File("other.skv")));
    }

    private static byte[] Flip(byte[] src, int at)
    {
        var copy = (byte[])src.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
