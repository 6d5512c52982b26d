using System.Text.RegularExpressions;

namespace TypedSkv.Tool.Tests.EndToEnd;

/// <summary>
/// Every <c>bash</c> block of docs/cli.md runs as written, in order, with <c>dotnet skv</c> the installed local tool,
/// in one folder that starts with an <c>app.skv</c> (blocks marked <c>text</c> show other machines: Redis, cron).
/// </summary>
[Collection(ToolCollection.Name)]
public sealed partial class DocsExamplesTests(ToolFixture tool) : IDisposable
{
    private readonly string _dir = Directory.CreateDirectory(Path.Combine(tool.ManifestDirectory, "docs-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    [Fact]
    public void Every_bash_example_in_docs_cli_md_runs()
    {
        string docs = File.ReadAllText(Path.Combine(ToolFixture.FindRepositoryRoot(), "docs", "cli.md"));
        var blocks = BashBlock().Matches(docs).Select(m => m.Groups[1].Value).ToList();
        Assert.True(blocks.Count >= 10, $"only {blocks.Count} bash blocks found");
        using (var store = SkvStore.Open(Path.Combine(_dir, "app.skv")))
        {
            store.Put("user:42", """{"name":"Ada"}""");
            store.Put("user:43", """{"name":"Grace"}""");
            store.Put("session:9f2c", "token");
            store.Put("blob"u8, [0, 1, 2, 255]);
        }

        foreach (string block in blocks)
        {
            var r = ProcessRunner.Run("bash", ["-e", "-o", "pipefail", "-c", block], _dir, tool.Environment);
            Assert.True(r.ExitCode == 0, $"docs/cli.md example failed:\n{block}\n{r}");
        }
    }

    [GeneratedRegex("```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
