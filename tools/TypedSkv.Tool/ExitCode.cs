namespace TypedSkv.Tool;

/// <summary>
/// The tool's exit codes, the same for every command (documented in --help, docs/cli.md and the README).
/// </summary>
public enum ExitCode
{
    /// <summary>The command did what was asked.</summary>
    Ok = 0,

    /// <summary>A data problem: a backup failed verification, a store failed its integrity check, or a file is damaged.</summary>
    DataProblem = 1,

    /// <summary>A usage or I/O error: bad arguments or options, a missing file, a store locked by another writer.</summary>
    UsageOrIoError = 2,

    /// <summary><c>get</c>: the key does not exist (a lookup's expected miss, told apart from errors).</summary>
    KeyNotFound = 3,

    /// <summary>Interrupted (Ctrl-C or TERM) before it finished; what it writes is all or nothing, so nothing was written (128 + SIGINT, the shell's convention).</summary>
    Cancelled = 130,
}
