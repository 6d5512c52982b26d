namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Runs a command's body and turns every failure into its exit code: one <c>error: ...</c> line on stderr
/// (plus the stack trace with --verbose) and, with --json, an error document on stdout so that stdout always
/// holds exactly one JSON document.
/// </summary>
public static class CommandRunner
{
    public static int Execute(string command, TextWriter stdout, TextWriter stderr, OutputSettings? settings, Func<OutputSettings, int> body)
    {
        settings = (settings ?? OutputSettings.Default) with { Warnings = new Warnings(stderr) };
        try
        {
            return body(settings);
        }
        catch (Exception ex)
        {
            var (code, message) = ErrorMapping.Map(ex);
            ReportError(command, stdout, stderr, settings, code, message, ex);
            return (int)code;
        }
    }

    /// <summary>Writes the error line (and the JSON error document with --json).</summary>
    public static void ReportError(string command, TextWriter stdout, TextWriter stderr, OutputSettings settings,
        ExitCode code, string message, Exception? exception = null)
    {
        message = OneLine(message);
        stderr.WriteLine($"error: {message}");
        if (settings.Verbose && exception is not null) stderr.WriteLine(exception.ToString());
        if (settings.Json)
            JsonOutput.Write(stdout, settings, command, code, new ErrorDocument(message));
    }

    public static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Trim();
}
