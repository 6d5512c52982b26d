using TypedSkv.Tests;

namespace TypedSkv.Reliability;

/// <summary>The quick profile, in CI. A failure prints the first lost or wrong value it found.</summary>
public sealed class ReliabilityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private void Check(Func<Profile, string, CaseResult> run)
    {
        var r = run(Profile.Quick, _dir.Path);
        Assert.True(r.Iterations > 0, $"{r.Case} ran nothing");
        Assert.True(r.Passed, $"{r.Case}: lost {r.LostWrites}, wrong {r.WrongValues}, unexpected {r.UnexpectedErrors}; first: {r.FirstFailure}");
    }

    [Fact] public void Torn_writes() => Check(EngineCases.TornWrites);
    [Fact] public void Corruption() => Check(EngineCases.Corruption);
    [Fact] public void Kill_during_durable_writes() => Check(EngineCases.KillDuringWrites);
    [Fact] public void Kill_during_compaction() => Check(EngineCases.KillDuringCompaction);
    [Fact] public void Kill_during_restore() => Check(BackupKillCases.KillDuringRestore);
    [Fact] public void Kill_during_backup() => Check(BackupKillCases.KillDuringBackup);
    [Fact] public void Hostile_backups() => Check(HostileBackupCases.Run);
    [Fact] public void Hostile_encrypted_and_incremental_backups() => Check(HostileChainCases.Run);
    [Fact] public void Concurrency() => Check(EngineCases.Concurrency);
    [Fact] public void Read_only_opens_beside_rollbacks() => Check(RollbackCases.ReadOnlyOpensBesideRollbacks);
}
