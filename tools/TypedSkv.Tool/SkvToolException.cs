namespace TypedSkv.Tool;

/// <summary>
/// An expected failure of a command: printed as one <c>error: ...</c> line on stderr (no stack trace unless
/// --verbose) and turned into <see cref="ExitCode"/>.
/// </summary>
public sealed class SkvToolException : Exception
{
    public SkvToolException(ExitCode exitCode, string message, Exception? inner = null)
        : base(message, inner) => ExitCode = exitCode;

    public ExitCode ExitCode { get; }

    public static SkvToolException Usage(string message, Exception? inner = null) => new(ExitCode.UsageOrIoError, message, inner);

    public static SkvToolException DataProblem(string message, Exception? inner = null) => new(ExitCode.DataProblem, message, inner);
}
