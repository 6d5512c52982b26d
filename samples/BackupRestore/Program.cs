// The seed's backup workflow: create a store with text and binary data, back it up (plain and gzip, with a
// timestamped name), restore into a new store, verify every record, print a summary. Exit code 1 when
// verification fails.
using TypedSkv;

string work = Path.Combine(Path.GetTempPath(), "typedskv-backup-sample-" + Guid.NewGuid().ToString("N")[..8]);
Directory.CreateDirectory(work);
try
{
    // 1. a store with text and binary data
    string sourcePath = Path.Combine(work, "mydata.skv");
    using var source = SkvStore.Open(sourcePath);
    source.Put("username", "alice");
    source.Put("greeting", "héllo wörld 😀");
    source.Put("binary_data", new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x00, 0xFF }); // not UTF-8: stored as base64
    source.Put("random_bytes", Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
    for (int i = 0; i < 1000; i++) source.Put($"user:{i:D4}", $"{{\"id\":{i},\"name\":\"user {i}\"}}");
    source.Put("temp:cache", "dropped by compaction");
    source.Delete("temp:cache");
    source.Compact(); // the seed's "compact before backup": only live data remains

    // 2. back it up: a timestamped name in a backups folder, plus a gzip copy; keep the newest 7
    string backups = Path.Combine(work, "backups");
    Directory.CreateDirectory(backups);
    string backupPath = SkvBackup.TimestampedPath(Path.Combine(backups, "mydata.json"));
    BackupResult backup = source.Backup(backupPath);
    BackupResult gz = source.Backup(Path.ChangeExtension(backupPath, ".json.gz"));
    SkvBackup.PruneBackups(Path.Combine(backups, "mydata.json"), keep: 7);
    Console.WriteLine($"backup:  {backup.Records} records -> {Path.GetFileName(backup.Path)} ({backup.Bytes:N0} bytes, gzip {gz.Bytes:N0} bytes, checksum {backup.Checksum}, {backup.Duration.TotalMilliseconds:F0} ms)");

    // 3. restore into a new store (all or nothing)
    using var restored = SkvStore.Open(Path.Combine(work, "restored.skv"));
    RestoreResult restore = restored.Restore(backupPath);
    Console.WriteLine($"restore: {restore.Records} records from format {restore.Format} in {restore.Duration.TotalMilliseconds:F0} ms");

    // 4. verify every record: the file against itself (structure, counts, checksum) and against both stores
    VerifyReport vsRestored = SkvBackup.Verify(backupPath, restored);
    VerifyReport vsSource = SkvBackup.Verify(gz.Path, source);
    foreach (var report in new[] { vsRestored, vsSource })
    {
        Console.WriteLine($"verify:  {Path.GetFileName(report.Path)} vs store: {(report.Ok ? "OK" : "FAILED")} - {report.Records} records " +
            $"({report.TextRecords} text, {report.Base64Records} base64), checksum {(report.ChecksumValid == true ? "valid" : "INVALID")}, " +
            $"{report.Comparison!.Matching} matching, {report.Comparison.MissingInStore} missing, {report.Comparison.ExtraInStore} extra, " +
            $"{report.Comparison.DifferentValues} different");
        foreach (var problem in report.Problems.Take(10)) Console.WriteLine($"  problem: {problem}");
    }
    bool same = restored.Count == source.Count && source.Scan().All(e => restored.TryGet(e.Key.Span, out var v) && v.AsSpan().SequenceEqual(e.GetValue()));
    Console.WriteLine($"summary: {restored.Count} keys restored, byte-for-byte equal to the source: {(same ? "yes" : "NO")}");
    return vsRestored.Ok && vsSource.Ok && same ? 0 : 1;
}
finally
{
    try { Directory.Delete(work, recursive: true); } catch (IOException) { }
}
