using System.Globalization;
using System.Text.RegularExpressions;

namespace TypedSkv.Backup;

/// <summary>Timestamped backup names ("app_20261125T120000Z.json") and keeping the newest N of them.</summary>
internal static partial class BackupNaming
{
    private const string StampFormat = "yyyyMMdd'T'HHmmss'Z'";

    /// <summary>Splits "dir/app.json.gz" into ("dir", "app", ".json.gz"); the extension is ".json.gz", ".json" or the last one.</summary>
    private static (string Dir, string Stem, string Ext) Split(string path)
    {
        string dir = Path.GetDirectoryName(path) ?? "";
        string name = Path.GetFileName(path);
        if (name.Length == 0) throw new ArgumentException($"not a file path: {path}", nameof(path));
        string ext = name.EndsWith(".json.gz", StringComparison.OrdinalIgnoreCase) ? name[^8..] : Path.GetExtension(name);
        return (dir, name[..^ext.Length], ext);
    }

    public static string TimestampedPath(string path, DateTimeOffset? now)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (dir, stem, ext) = Split(path);
        string stamp = (now ?? DateTimeOffset.UtcNow).UtcDateTime.ToString(StampFormat, CultureInfo.InvariantCulture);
        return Path.Combine(dir, $"{stem}_{stamp}{ext}");
    }

    public static IReadOnlyList<string> PruneBackups(string path, int keep)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var (dir, stem, ext) = Split(path);
        string searchDir = dir.Length == 0 ? "." : dir;
        if (!Directory.Exists(searchDir)) return [];
        var pattern = new Regex("^" + Regex.Escape(stem) + "_(" + StampPattern().ToString() + ")" + Regex.Escape(ext) + "$",
            RegexOptions.CultureInvariant);
        var found = new List<(string Stamp, string Path)>();
        foreach (string file in Directory.EnumerateFiles(searchDir, stem + "_*" + ext))
        {
            var m = pattern.Match(Path.GetFileName(file));
            if (m.Success) found.Add((m.Groups[1].Value, dir.Length == 0 ? Path.GetFileName(file) : Path.Combine(dir, Path.GetFileName(file))));
        }
        // the stamp sorts chronologically as text
        found.Sort((a, b) => string.CompareOrdinal(b.Stamp, a.Stamp));
        var deleted = new List<string>();
        foreach (var (_, file) in found.Skip(keep))
        {
            File.Delete(file);
            deleted.Add(file);
        }
        return deleted;
    }

    [GeneratedRegex(@"\d{8}T\d{6}Z")]
    private static partial Regex StampPattern();
}
