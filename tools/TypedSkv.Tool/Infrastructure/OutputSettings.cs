namespace TypedSkv.Tool.Infrastructure;

/// <summary>How a command reports: the options every command shares.</summary>
/// <param name="Json">Write exactly one JSON document to stdout instead of human-readable text.</param>
/// <param name="Verbose">On errors, also print the exception with its stack trace to stderr.</param>
/// <param name="Progress">Draw a progress bar on stderr (the caller decides: terminal, CI unset, no --no-progress).</param>
public sealed record OutputSettings(bool Json = false, bool Verbose = false, bool Progress = false)
{
    /// <summary>The run's warnings; <see cref="CommandRunner.Execute"/> gives every run its own.</summary>
    public Warnings Warnings { get; init; } = new(TextWriter.Null);

    public static OutputSettings Default { get; } = new();
}
