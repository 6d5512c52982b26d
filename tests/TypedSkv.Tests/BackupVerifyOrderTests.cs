using System.Text;
using System.Text.Json;

namespace TypedSkv.Tests;

/// <summary>
/// Verify of a file in key order runs without a set of key hashes (the ordered pass, a merge with the store's scan);
/// it must report exactly what the keyed pass reports. The keyed pass is reached through the stream API (a stream is
/// read once, so it always uses the set) or by a file out of order.
/// </summary>
public sealed class BackupVerifyOrderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Key(int i) => $"k/{i:D4}";

    /// <summary>200 records k/0000..k/0199; the store then differs: changed, deleted and extra keys, some before the
    /// first backup key, between them and after the last, some under the prefix "k/" and some outside it.</summary>
    private SkvStore StoreThatDiffers()
    {
        var store = _dir.OpenStore();
        for (int i = 0; i < 200; i++) store.Put(Key(i), $"value {i}");
        foreach (int i in new[] { 0, 7, 150, 199 }) store.Put(Key(i), "changed");
        foreach (int i in new[] { 1, 8, 9, 100, 198 }) store.Delete(Key(i));
        foreach (string extra in new[] { "a/before", "k/", "k/0050x", "k/0100a", "k/9999", "z/after" }) store.Put(extra, "extra");
        return store;
    }

    /// <summary>A backup file written by hand (no checksum: a shuffled file's records would not match one).</summary>
    private string WriteBackup(string name, IEnumerable<int> order, string? prefix = null, bool prefixAfterRecords = false)
    {
        var records = order.Select(i => $"{{\"key\":\"{Key(i)}\",\"value\":\"value {i}\",\"encoding\":\"text\"}}").ToList();
        string prefixMember = prefix is null ? "" : $"\"prefix\":\"{prefix}\",";
        string json = "{\"version\":\"1.0\"," + (prefixAfterRecords ? "" : prefixMember) + $"\"total_records\":{records.Count},"
            + "\"records\":[" + string.Join(",", records) + "]" + (prefixAfterRecords ? "," + prefixMember.TrimEnd(',') : "") + "}";
        string path = _dir.File(name);
        File.WriteAllText(path, json);
        return path;
    }

    private static VerifyReport Keyed(string path, SkvStore? store, VerifyOptions? options = null)
    {
        using var input = File.OpenRead(path);
        var report = store is null ? SkvBackup.Verify(input, path, options) : SkvBackup.Verify(input, store, path, options);
        Assert.True(report.KeyedPass);
        return report;
    }

    private static string Json(VerifyReport report) => JsonSerializer.Serialize(report);

    [Theory]
    [InlineData(1000)]
    [InlineData(6)] // the list is cut: the same problems must come first
    public void Sorted_file_ordered_pass_reports_exactly_what_the_keyed_pass_reports(int maxProblems)
    {
        using var store = StoreThatDiffers();
        string sorted = WriteBackup("sorted.json", Enumerable.Range(0, 200));
        var options = new VerifyOptions { MaxProblems = maxProblems };

        var ordered = SkvBackup.Verify(sorted, store, options);

        Assert.False(ordered.KeyedPass);
        Assert.Equal(new StoreComparison(MissingInStore: 5, ExtraInStore: 6, DifferentValues: 4, Matching: 191), ordered.Comparison);
        Assert.Equal(15, ordered.ProblemCount);
        Assert.Equal(Json(Keyed(sorted, store, options)), Json(ordered));
    }

    [Fact]
    public void Sorted_and_shuffled_files_give_the_same_counts_and_keys()
    {
        using var store = StoreThatDiffers();
        string sorted = WriteBackup("sorted.json", Enumerable.Range(0, 200));
        string shuffled = WriteBackup("shuffled.json", Enumerable.Range(0, 200).OrderBy(i => (i * 7919) % 200 ^ 0x55));

        var a = SkvBackup.Verify(sorted, store);
        var b = SkvBackup.Verify(shuffled, store);

        Assert.False(a.KeyedPass);
        Assert.True(b.KeyedPass); // out of order: read again with the set
        Assert.Equal(a.Comparison, b.Comparison);
        Assert.Equal((a.Ok, a.Records, a.ProblemCount, a.DuplicateKeys), (b.Ok, b.Records, b.ProblemCount, b.DuplicateKeys));
        // record indexes differ between the files; the keys and messages do not
        static string[] Listed(VerifyReport r) => [.. r.Problems.Select(p => $"{p.Key} {p.Message}").Order(StringComparer.Ordinal)];
        Assert.Equal(Listed(a), Listed(b));
        Assert.Contains(a.Problems, p => p.Key == "\"a/before\"" && p.Message == "in the store but not in the backup");
        Assert.Contains(a.Problems, p => p.Key == "\"k/0198\"" && p.Message == "missing in the store");
        Assert.Contains(a.Problems, p => p.Key == "\"k/0199\"" && p.Message.StartsWith("value differs", StringComparison.Ordinal));
    }

    [Fact]
    public void A_duplicate_in_a_sorted_file_falls_back_to_the_keyed_pass()
    {
        using var store = StoreThatDiffers();
        string path = WriteBackup("dup.json", Enumerable.Range(0, 200).Append(199).Order());

        var report = SkvBackup.Verify(path, store);

        Assert.True(report.KeyedPass);
        Assert.Equal(1, report.DuplicateKeys);
        Assert.Equal(Json(Keyed(path, store)), Json(report));
    }

    [Fact]
    public void File_only_verify_of_a_sorted_file_keeps_no_set_and_reports_the_same()
    {
        string path = WriteBackup("sorted.json", Enumerable.Range(0, 200));

        var report = SkvBackup.Verify(path);

        Assert.False(report.KeyedPass);
        Assert.True(report.Ok);
        Assert.Equal(Json(Keyed(path, null)), Json(report));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the merge began over the whole store: read again, compared under the prefix
    public void A_prefix_backup_is_compared_under_its_prefix_wherever_the_prefix_member_is(bool prefixAfterRecords)
    {
        using var store = StoreThatDiffers();
        string path = WriteBackup("prefix.json", Enumerable.Range(0, 200), prefix: "k/", prefixAfterRecords);

        var report = SkvBackup.Verify(path, store);

        Assert.Equal(prefixAfterRecords, report.KeyedPass);
        Assert.Equal(new StoreComparison(MissingInStore: 5, ExtraInStore: 4, DifferentValues: 4, Matching: 191), report.Comparison);
        Assert.Equal(Json(Keyed(path, store)), Json(report));
    }

    [Fact]
    public void Against_an_empty_store_every_record_is_missing_in_both_passes()
    {
        using var store = _dir.OpenStore();
        string path = WriteBackup("sorted.json", Enumerable.Range(0, 50));

        var report = SkvBackup.Verify(path, store, new VerifyOptions { MaxProblems = 10 });

        Assert.False(report.KeyedPass);
        Assert.Equal(new StoreComparison(MissingInStore: 50, ExtraInStore: 0, DifferentValues: 0, Matching: 0), report.Comparison);
        Assert.Equal(Json(Keyed(path, store, new VerifyOptions { MaxProblems = 10 })), Json(report));
    }

    [Fact]
    public void Against_a_larger_store_the_first_extra_keys_are_listed_in_both_passes()
    {
        using var store = _dir.OpenStore();
        for (int i = 0; i < 100; i++) store.Put(Key(i), $"value {i}");
        string path = WriteBackup("sorted.json", Enumerable.Range(20, 30));
        var options = new VerifyOptions { MaxProblems = 10 };

        var report = SkvBackup.Verify(path, store, options);

        Assert.False(report.KeyedPass);
        Assert.Equal(new StoreComparison(MissingInStore: 0, ExtraInStore: 70, DifferentValues: 0, Matching: 30), report.Comparison);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"\"{Key(i)}\"")], report.Problems.Select(p => p.Key));
        Assert.Equal(Json(Keyed(path, store, options)), Json(report));
    }

    [Fact]
    public void A_damaged_record_in_a_sorted_file_is_reported_as_by_the_keyed_pass()
    {
        using var store = StoreThatDiffers();
        string path = WriteBackup("damaged.json", Enumerable.Range(0, 200));
        File.WriteAllText(path, File.ReadAllText(path, Encoding.UTF8).Replace("\"value 42\",\"encoding\":\"text\"", "\"value 42\",\"encoding\":\"rot13\""));

        var report = SkvBackup.Verify(path, store);

        Assert.False(report.KeyedPass);
        Assert.Contains(report.Problems, p => p.RecordIndex == 42);
        Assert.Equal(Json(Keyed(path, store)), Json(report));
    }
}
