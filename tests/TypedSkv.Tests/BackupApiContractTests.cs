namespace TypedSkv.Tests;

/// <summary>
/// The backup API other parts code against (notes/engine-api.md): this file must keep compiling unchanged.
/// Members may be added; none of these may be renamed or removed.
/// </summary>
public sealed class BackupApiContractTests
{
    [Fact]
    public void ContractMembers_ExistWithTheirTypes()
    {
        using var dir = new TempDir();
        using SkvStore store = dir.OpenStore();
        store.Put("k", "v");
        string path = dir.File("c.json");

        BackupOptions bo = new() { Prefix = null, PrefixBytes = null, Gzip = null, Progress = null };
        RestoreOptions ro = new() { Mode = RestoreMode.Merge, DryRun = false, Gzip = null, Progress = null };
        VerifyOptions vo = new() { Gzip = null, Progress = null };
        ro.Mode = RestoreMode.Replace;

        BackupResult b = SkvBackup.Backup(store, path, bo);
        (string bPath, long bRecords, long bBytes, string? bChecksum, TimeSpan bDuration) = b;
        BackupResult b2 = store.Backup(path);
        RestoreResult r = SkvBackup.Restore(store, path, ro);
        (string rPath, long rRecords, long rBytes, RestoreMode rMode, bool rDry, string rFormat, TimeSpan rDuration) = r;
        RestoreResult r2 = store.Restore(path);
        VerifyReport v = SkvBackup.Verify(path, vo);
        VerifyReport v2 = SkvBackup.Verify(path, store, vo);
        bool ok = v.Ok; string vp = v.Path; string? version = v.Version; string format = v.Format; long records = v.Records;
        long? declared = v.DeclaredRecords; long text = v.TextRecords; long b64 = v.Base64Records; long bytes = v.Bytes;
        bool hasChecksum = v.HasChecksum; bool? checksumValid = v.ChecksumValid; IReadOnlyList<VerifyProblem> problems = v.Problems;
        StoreComparison? comparison = v2.Comparison;
        (long missing, long extra, long different, long matching) = comparison!;
        VerifyProblem p = new(RecordIndex: 1, Key: "\"k\"", Message: "m");
        (long? pIndex, string? pKey, string pMessage) = p;
        SkvBackupProgress progress = new(Records: 1, Bytes: 2, TotalRecords: null);
        (long prRecords, long prBytes, long? prTotal) = progress;
        string stamped = SkvBackup.TimestampedPath(path, DateTimeOffset.UtcNow);
        IReadOnlyList<string> pruned = SkvBackup.PruneBackups(path, 3);
        SkvException asBase = new SkvBackupException(path, 1, 2, "problem");
        var e = (SkvBackupException)asBase;
        (string ePath, long? eIndex, long? eOffset) = (e.FilePath, e.RecordIndex, e.ByteOffset);

        Assert.True(ok && v2.Ok);
        Assert.Equal(1, bRecords + b2.Records - 1);
        Assert.Equal("1.0", rFormat);
        Assert.Equal(RestoreMode.Replace, rMode);
        Assert.Equal(0, missing + extra + different);
        Assert.Equal(1, matching);
        Assert.Empty(pruned);
        Assert.EndsWith("Z.json", stamped);
        Assert.Equal(1, eIndex);
        _ = (bPath, bBytes, bChecksum, bDuration, rPath, rRecords, rBytes, rDry, rDuration, r2, vp, version, format, records,
            declared, text, b64, bytes, hasChecksum, checksumValid, problems, pIndex, pKey, pMessage, prRecords, prBytes, prTotal,
            ePath, eOffset);
    }
}
