namespace TypedSkv.Tool.Infrastructure;

/// <summary>One thing the user must know although the command succeeded (a repaired store, a kept backup).</summary>
/// <param name="Kind">Stable identifier for scripts: "repaired", "torn-tail", "backups-newer".</param>
/// <param name="Message">The text after "warning: ".</param>
/// <param name="Bytes">Bytes discarded or ignored, when that is what it is about.</param>
/// <param name="Records">Records discarded or ignored, when that is what it is about.</param>
public sealed record Warning(string Kind, string Message,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Bytes = null,
    [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] long? Records = null);

/// <summary>
/// The warnings of one command run: each printed at once as <c>warning: ...</c> on stderr, and listed in the
/// <c>warnings</c> array of the --json document.
/// </summary>
public sealed class Warnings(TextWriter stderr)
{
    private readonly List<Warning> _items = [];

    public IReadOnlyList<Warning> Items => _items;

    /// <summary>Whether a warning said that opening the store repaired it or ignored data (backup --keep then prunes nothing).</summary>
    public bool StoreDataDiscarded => _items.Any(w => w.Kind is RepairedKind or TornTailKind);

    public const string RepairedKind = "repaired";
    public const string TornTailKind = "torn-tail";

    public void Add(Warning warning)
    {
        _items.Add(warning);
        stderr.WriteLine("warning: " + CommandRunner.OneLine(warning.Message));
    }

    /// <summary>A progress note (not a warning): stderr only, <c>note: ...</c>.</summary>
    public void Notice(string message) => stderr.WriteLine("note: " + CommandRunner.OneLine(message));
}
