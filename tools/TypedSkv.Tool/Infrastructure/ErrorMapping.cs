using StackExchange.Redis;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>Which exit code and message an exception becomes.</summary>
public static class ErrorMapping
{
    public static (ExitCode Code, string Message) Map(Exception ex) => ex switch
    {
        SkvToolException t => (t.ExitCode, t.Message),
        // the engine's message speaks C# (SkvStore.OpenReadOnly): say it in commands
        SkvLockedException l => (ExitCode.UsageOrIoError, WriterLock.LockedMessage(l.FilePath, holder: l.HolderProcessId)),
        // the data itself is damaged or is not what it claims to be: a data problem
        SkvCorruptionException or SkvFormatException => (ExitCode.DataProblem, ex.Message),
        SkvBackupException => (ExitCode.DataProblem, ex.Message),
        // an encrypted backup and no passphrase (or a key where a passphrase is needed): usage
        SkvBackupSecretException s => (ExitCode.UsageOrIoError, BackupSecrets.Hint(s)),
        // a Redis server unreachable, gone or timed out, or a command it refused (e.g. keys of one operation in
        // different cluster slots): an I/O error
        // StackExchange.Redis's text advises connection-string settings (abortConnect=false): say what failed instead
        RedisConnectionException c => (ExitCode.UsageOrIoError, $"redis: cannot connect to the server ({c.FailureType}); check the address and that the server is running"),
        RedisException or RedisTimeoutException or RedisCommandException => (ExitCode.UsageOrIoError, "redis: " + ex.Message),
        // anything else the store refuses, e.g. another writer holds it (retry later or use a read-only command),
        // or a key that is not there
        SkvException => (ExitCode.UsageOrIoError, ex.Message),
        FileNotFoundException f => (ExitCode.UsageOrIoError, f.FileName is { } name && !f.Message.Contains(name, StringComparison.Ordinal) ? $"file not found: {name}" : f.Message),
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => (ExitCode.UsageOrIoError, ex.Message),
        ArgumentException or FormatException or NotSupportedException => (ExitCode.UsageOrIoError, ex.Message),
        _ => (ExitCode.UsageOrIoError, $"unexpected {ex.GetType().Name}: {ex.Message} (run with --verbose for details)"),
    };
}
