using System.Globalization;
using System.Text.RegularExpressions;

namespace TypedSkv.Backup;

/// <summary>
/// Timestamped backup names ("app_20261125T120000Z.json", a second one in the same second "app_20261125T120000Z-2.json")
/// and keeping the newest N of them. A set is one base name in any format: app.json, app.json.gz and later
/// formats (app.json.zst, ...) are the same backups.
/// </summary>
internal static partial class BackupNaming
{
    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Splits "dir/app.json.gz" into ("dir", "app", ".json", ".gz"): the format extension and what follows it.</summary>
    private static (string Dir, string Stem, string FormatExt, string Suffix) Split(string path)
    {
        string dir = Path.GetDirectoryName(path) ?? "";
        string name = Path.GetFileName(path);
        if (name.Length == 0) throw new ArgumentException($"not a file path: {path}", nameof(path));
        int json = name.LastIndexOf(".json", StringComparison.OrdinalIgnoreCase);
        if (json > 0 && (json + 5 == name.Length || name[json + 5] == '.'))
            return (dir, name[..json], name[json..(json + 5)], name[(json + 5)..]);
        string ext = Path.GetExtension(name);
        return (dir, name[..^ext.Length], ext, "");
    }

    public static string TimestampedPath(string path, DateTimeOffset? now, int sequence = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(sequence, 1);
        var (dir, stem, formatExt, suffix) = Split(path);
        string stamp = (now ?? DateTimeOffset.UtcNow).UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);
        string counter = sequence == 1 ? "" : "-" + sequence.ToString(CultureInfo.InvariantCulture);
        return Path.Combine(dir, $"{stem}_{stamp}{counter}{formatExt}{suffix}");
    }

    /// <summary>
    /// The first timestamped name for <paramref name="now"/> that no backup of the set uses yet (in any format), so
    /// two backups within one second get two names: app_...Z.json, then app_...Z-2.json.
    /// </summary>
    public static string FreeTimestampedPath(string path, DateTimeOffset now)
    {
        var taken = Find(path).Where(b => b.Stamp == Stamp(now)).Select(b => b.Sequence).ToHashSet();
        int sequence = 1;
        while (taken.Contains(sequence)) sequence++;
        return TimestampedPath(path, now, sequence);
    }

    /// <summary>Keeps the newest <paramref name="keep"/> backups of the set not newer than now (a future stamp is never deleted).</summary>
    public static IReadOnlyList<string> PruneBackups(string path, int keep) =>
        Prune(path, keep, (Stamp(DateTimeOffset.UtcNow), int.MaxValue), written: null).Deleted;

    /// <summary>
    /// After <paramref name="written"/> was written: keeps it and the newest <paramref name="keep"/> - 1 backups older
    /// than it, deletes older ones. The written backup is never deleted, nor any backup stamped after it (a clock
    /// that went back, a stray file): those are returned as <c>Newer</c> and not counted.
    /// </summary>
    public static (IReadOnlyList<string> Deleted, IReadOnlyList<string> Newer) PruneAfter(string path, string written, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(written);
        ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        var m = NamePattern(path).Match(Path.GetFileName(written));
        if (!m.Success) throw new ArgumentException($"{written} is not a timestamped backup of {path}", nameof(written));
        return Prune(path, keep - 1, (m.Groups["stamp"].Value, SequenceOf(m)), written);
    }

    private static (IReadOnlyList<string> Deleted, IReadOnlyList<string> Newer) Prune(string path, int keep, (string Stamp, int Sequence) limit, string? written)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        string writtenName = written is null ? "" : Path.GetFileName(written);
        var older = new List<Found>();
        var newer = new List<string>();
        foreach (var b in Find(path))
        {
            if (b.Name == writtenName) continue;
            int c = string.CompareOrdinal(b.Stamp, limit.Stamp);
            if (c < 0 || (c == 0 && b.Sequence < limit.Sequence)) older.Add(b);
            else newer.Add(b.Path);
        }
        // the stamp sorts chronologically as text; within one second the sequence decides
        older.Sort((a, b) => Compare(b, a));
        var deleted = new List<string>();
        foreach (var b in older.Skip(keep))
        {
            File.Delete(b.Path);
            deleted.Add(b.Path);
        }
        return (deleted, newer);
    }

    private sealed record Found(string Path, string Name, string Stamp, int Sequence);

    private static int Compare(Found a, Found b)
    {
        int c = string.CompareOrdinal(a.Stamp, b.Stamp);
        if (c == 0) c = a.Sequence.CompareTo(b.Sequence);
        return c == 0 ? string.CompareOrdinal(a.Name, b.Name) : c;
    }

    private static List<Found> Find(string path)
    {
        var (dir, stem, _, _) = Split(path);
        string searchDir = dir.Length == 0 ? "." : dir;
        var found = new List<Found>();
        if (!Directory.Exists(searchDir)) return found;
        var pattern = NamePattern(path);
        foreach (string file in Directory.EnumerateFiles(searchDir, stem + "_*"))
        {
            string name = Path.GetFileName(file);
            var m = pattern.Match(name);
            if (m.Success) found.Add(new Found(dir.Length == 0 ? name : Path.Combine(dir, name), name, m.Groups["stamp"].Value, SequenceOf(m)));
        }
        return found;
    }

    /// <summary>stem_STAMP[-N] + the format extension + any further extensions (.gz, .zst, ...), nothing else.</summary>
    private static Regex NamePattern(string path)
    {
        var (_, stem, formatExt, _) = Split(path);
        return new Regex("^" + Regex.Escape(stem) + "_(?<stamp>" + StampPattern() + @")(-(?<seq>[1-9][0-9]{0,8}))?"
            + Regex.Escape(formatExt) + @"(\.[A-Za-z0-9]+)*$", RegexOptions.CultureInvariant);
    }

    private static int SequenceOf(Match m) =>
        m.Groups["seq"].Success ? int.Parse(m.Groups["seq"].Value, CultureInfo.InvariantCulture) : 1;

    private static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);

    private static string StampPattern() => @"\d{8}T\d{6}Z";
}
