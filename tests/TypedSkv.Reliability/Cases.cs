namespace TypedSkv.Reliability;

public static class Cases
{
    public static readonly Func<Profile, string, CaseResult>[] All =
    [
        EngineCases.TornWrites,
        EngineCases.Corruption,
        EngineCases.KillDuringWrites,
        EngineCases.KillDuringCompaction,
        BackupKillCases.KillDuringRestore,
        BackupKillCases.KillDuringBackup,
        HostileBackupCases.Run,
        HostileChainCases.Run,
        EngineCases.Concurrency,
        RollbackCases.ReadOnlyOpensBesideRollbacks,
    ];
}
