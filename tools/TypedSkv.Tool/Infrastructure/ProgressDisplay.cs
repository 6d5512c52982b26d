using Spectre.Console;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// A Spectre.Console progress bar drawn on stderr only, so stdout stays clean for --json and pipes.
/// </summary>
public static class ProgressDisplay
{
    /// <summary>Progress is drawn only when stderr is a terminal, CI is unset and --no-progress is absent.</summary>
    public static bool ShouldShow(bool noProgress) =>
        !noProgress
        && !Console.IsErrorRedirected
        && string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CI"));

    public static T Run<T>(TextWriter stderr, bool enabled, string label, Func<ProgressSink?, T> work)
    {
        if (!enabled) return work(null);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(stderr),
            Interactive = InteractionSupport.Yes,
        });
        return console.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(label, autoStart: true, maxValue: 1);
                task.IsIndeterminate = true;
                T result = work(new ProgressSink(task, label));
                task.IsIndeterminate = false;
                task.Value = task.MaxValue;
                task.StopTask();
                return result;
            });
    }
}

/// <summary>Receives progress reports from the backup API and moves the bar.</summary>
public sealed class ProgressSink
{
    private readonly ProgressTask _task;
    private readonly string _label;

    internal ProgressSink(ProgressTask task, string label)
    {
        _task = task;
        _label = label;
    }

    public void Report(long records, long bytes, long? totalRecords)
    {
        if (totalRecords is > 0 and var total)
        {
            _task.IsIndeterminate = false;
            _task.MaxValue = total;
            _task.Value = Math.Min(records, total);
        }
        _task.Description = $"{_label}: {records:N0} records, {bytes / 1024.0 / 1024.0:N1} MiB";
    }
}
