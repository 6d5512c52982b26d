namespace TypedSkv.Reliability;

/// <summary>One row of the reliability table. Every count but Iterations must be zero.</summary>
public sealed record CaseResult(string Case, long Iterations, long LostWrites, long WrongValues, long UnexpectedErrors, string Notes)
{
    public bool Passed => LostWrites == 0 && WrongValues == 0 && UnexpectedErrors == 0;

    public string? FirstFailure { get; init; }
}

public sealed record Profile(string Name, int TornRecords, int Flips, int Kills, int CompactionKills, TimeSpan ConcurrencyDuration, int Seed)
{
    public static Profile Quick { get; } = new("quick", TornRecords: 3, Flips: 1000, Kills: 10, CompactionKills: 4, TimeSpan.FromSeconds(10), Seed: 1);
    public static Profile Full { get; } = new("full", TornRecords: 20, Flips: 10_000, Kills: 100, CompactionKills: 30, TimeSpan.FromSeconds(60), Seed: Environment.TickCount);
}

/// <summary>Collects counts for a case and remembers the first failure's description.</summary>
internal sealed class Tally(string name)
{
    public long Iterations, Lost, Wrong, Unexpected;
    public string? First;

    public void Fail(ref long counter, string what)
    {
        Interlocked.Increment(ref counter);
        Interlocked.CompareExchange(ref First, what, null);
    }

    public CaseResult Result(string notes) => new(name, Iterations, Lost, Wrong, Unexpected, notes) { FirstFailure = First };
}
