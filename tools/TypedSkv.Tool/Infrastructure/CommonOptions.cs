using System.CommandLine;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Options every command takes (--json, --verbose), created once per root command (Option instances are not
/// shared between command trees, so tests can build trees in parallel).
/// </summary>
public sealed class CommonOptions
{
    public Option<bool> Json { get; } = new("--json")
    {
        Description = "Write exactly one JSON document to stdout (for scripts) instead of text.",
        Recursive = true,
    };

    public Option<bool> Verbose { get; } = new("--verbose")
    {
        Description = "On errors, also print the exception with its stack trace to stderr.",
        Recursive = true,
    };

    /// <summary>A --no-progress option for the commands that draw progress (backup, restore, verify).</summary>
    public static Option<bool> CreateNoProgress() => new("--no-progress")
    {
        Description = "Never draw a progress bar. It is drawn on stderr only when stderr is a terminal and CI is unset.",
    };

    /// <summary>--wait for the commands that need the write lock.</summary>
    public static Option<double?> CreateWait() => new("--wait")
    {
        Description = "When another process has the store open for writing, wait up to this many seconds for it to close (default: fail at once, exit 2).",
        HelpName = "seconds",
        CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double s) && s >= 0 && s <= 86400) return s;
            r.AddError($"--wait must be a number of seconds from 0 to 86400, not '{text}'");
            return null;
        },
    };

    public OutputSettings Read(ParseResult parseResult, Option<bool>? noProgress = null) => new(
        parseResult.GetValue(Json),
        parseResult.GetValue(Verbose),
        noProgress is not null && ProgressDisplay.ShouldShow(parseResult.GetValue(noProgress)));

    public static Argument<string> DbArgument(bool redis = false) => new("db")
    {
        Description = redis
            ? "Path of the store's data file (for example app.skv), or a Redis server / cluster: redis://[user@]host[:port][/db], rediss:// for TLS, or the cluster's seeds redis://127.0.0.1:7000,127.0.0.1:7001. The password: SKV_REDIS_PASSWORD or --redis-password-file."
            : "Path of the store's data file (for example app.skv).",
    };
}
