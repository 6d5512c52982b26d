using System.Text.RegularExpressions;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>
/// The nightly script of docs/cli.md and the README (the same text in both), run as written with the installed tool
/// over three weeks of replayed dates: an encrypted full backup each Sunday, incrementals on the other nights,
/// two weeks kept; the newest chain then restores the store's state, and --until an earlier night's.
/// </summary>
[Collection(ToolCollection.Name)]
public sealed class NightlyScriptTests(ToolFixture tool) : IDisposable
{
    private readonly TestDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Repository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TypedSkv.sln"))) return dir.FullName;
        throw new InvalidOperationException("TypedSkv.sln not found");
    }

    private static string ScriptIn(string markdownFile)
    {
        string text = File.ReadAllText(Path.Combine(Repository(), markdownFile));
        var m = Regex.Match(text, @"<!-- nightly-backup\.sh:[^\n]*-->\n```sh\n(.*?)```", RegexOptions.Singleline);
        Assert.True(m.Success, $"no nightly-backup.sh block in {markdownFile}");
        return m.Groups[1].Value;
    }

    [Fact]
    public void The_documented_nightly_script_keeps_restorable_encrypted_weekly_chains()
    {
        string script = ScriptIn("docs/cli.md");
        Assert.Equal(script, ScriptIn("README.md"));
        string path = _dir.File("nightly-backup.sh");
        File.WriteAllText(path, script);
        File.WriteAllText(_dir.File("backup.pass"), "nightly secret\n");
        string db = _dir.File("app.skv"), root = _dir.File("backups");
        TestStores.Create(db, 50);

        var states = new Dictionary<string, Dictionary<string, string>>();
        ProcessResult Night(string date)
        {
            var env = new Dictionary<string, string>(tool.Environment)
            {
                ["SKV"] = tool.ToolExecutable,
                ["PASSPHRASE_FILE"] = _dir.File("backup.pass"),
                ["BACKUP_DATE"] = date,
            };
            var r = ProcessRunner.Run("bash", [path, db, root, "2"], _dir.Path, env, TimeSpan.FromMinutes(2));
            Assert.True(r.ExitCode == 0, $"{date}: exit {r.ExitCode}\n{r.Stdout}\n{r.Stderr}");
            states[date] = Content(db);
            return r;
        }
        void Change(int day)
        {
            using var store = SkvStore.Open(db);
            store.Put($"key:{day:D4}", $"changed on day {day}");
            store.Delete($"key:{day + 20:D4}");
            store.Put($"added:{day}", "new");
        }

        string[] nights = ["2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-06", "2026-12-07", "2026-12-13", "2026-12-14", "2026-12-15"];
        for (int i = 0; i < nights.Length; i++)
        {
            if (i > 0) Change(i);
            Night(nights[i]);
        }

        // rotation: the two newest weeks, each a full backup (Sunday) and its incrementals
        string[] weeks = Directory.GetDirectories(root).Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(new[] { "week-2026-12-06", "week-2026-12-13" }, weeks);
        string[] chain = Directory.GetFiles(Path.Combine(root, "week-2026-12-13"), "app_*.json.zst").Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(3, chain.Length);
        Assert.All(chain, f => Assert.Equal(0x89, File.ReadAllBytes(f)[0])); // encrypted

        var latest = tool.Skv(_dir.Path, ["restore", "latest.skv", .. chain, "--passphrase-file", "backup.pass"]);
        Assert.True(latest.ExitCode == 0, latest.Stderr);
        Assert.Equal(states["2026-12-15"], Content(_dir.File("latest.skv")));

        // point in time: the state of Monday night, from the files' own times
        string monday = CreatedAt(chain[..2]);
        var earlier = tool.Skv(_dir.Path, ["restore", "monday.skv", .. chain, "--passphrase-file", "backup.pass", "--until", monday]);
        Assert.True(earlier.ExitCode == 0, earlier.Stderr);
        Assert.Equal(states["2026-12-14"], Content(_dir.File("monday.skv")));

        // SKV_PASSPHRASE works in place of the file; without either: exit 2, and nothing is created
        var byEnv = ProcessRunner.Run(tool.ToolExecutable, ["verify", .. chain], _dir.Path,
            new Dictionary<string, string>(tool.Environment) { ["SKV_PASSPHRASE"] = "nightly secret" });
        Assert.True(byEnv.ExitCode == 0, byEnv.Stderr);
        var none = tool.Skv(_dir.Path, ["restore", "none.skv", .. chain]);
        Assert.Equal(2, none.ExitCode);
        Assert.False(File.Exists(_dir.File("none.skv")));
    }

    /// <summary>created_at of the last file of an encrypted chain, as verify --json reports it.</summary>
    private string CreatedAt(string[] chain)
    {
        var r = ProcessRunner.Run(tool.ToolExecutable, ["verify", .. chain, "--json"], _dir.Path,
            new Dictionary<string, string>(tool.Environment) { ["SKV_PASSPHRASE"] = "nightly secret" });
        Assert.True(r.ExitCode == 0, r.Stderr);
        return r.Json().GetProperty("createdAt").GetString()!;
    }

    private static Dictionary<string, string> Content(string db)
    {
        using var store = SkvStore.OpenReadOnly(db);
        return store.Scan().ToDictionary(e => e.KeyString, e => Convert.ToBase64String(e.GetValue()));
    }
}
