namespace TypedSkv.Tool.Infrastructure;

/// <summary>Feeds the backup API's progress reports into the progress bar.</summary>
public sealed class BackupProgress(ProgressSink sink) : IProgress<SkvBackupProgress>
{
    public void Report(SkvBackupProgress value) => sink.Report(value.Records, value.Bytes, value.TotalRecords);

    public static IProgress<SkvBackupProgress>? From(ProgressSink? sink) => sink is null ? null : new BackupProgress(sink);
}
