using System.CommandLine;
using System.Globalization;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>The backup-file arguments of restore and verify: one file, or a chain (full backup, then incrementals), and --until.</summary>
public static class ChainArguments
{
    public static Argument<string[]> Create(string description) => new("file")
    {
        Description = description,
        Arity = ArgumentArity.OneOrMore,
    };

    public static Option<string?> CreateUntil() => new("--until")
    {
        Description = "For a chain: use only the files taken at or before this RFC 3339 time (point-in-time restore), e.g. 2026-12-01T12:00:00Z.",
        HelpName = "time",
    };

    public static DateTimeOffset? ParseUntil(string? text)
    {
        if (text is null) return null;
        if (text.Length < 19 || text[10] is not ('T' or 't' or ' ') ||
            !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
            throw SkvToolException.Usage($"--until {text}: not an RFC 3339 time such as 2026-12-01T12:00:00Z");
        return t;
    }

    /// <summary>The chain to use, or null for a single file read the one-file way.</summary>
    public static IReadOnlyList<string>? Chain(string file, IReadOnlyList<string>? incrementals, DateTimeOffset? until)
    {
        if (incrementals is null or { Count: 0 }) return until is null ? null : [file];
        foreach (string f in incrementals) Stores.RequireFile(f, "backup file");
        return [file, .. incrementals];
    }

    /// <summary>
    /// An encrypted file with no passphrase given is a usage error, told before a store is opened or created (the
    /// library would tell too, but later).
    /// </summary>
    public static void CheckSecret(IReadOnlyList<string> files, BackupEncryption? encryption)
    {
        if (encryption is not null) return;
        foreach (string f in files)
            if (SkvBackup.IsEncrypted(f))
                throw SkvToolException.Usage($"{f} is encrypted: give --passphrase-file <path> or set {BackupSecrets.EnvironmentVariable}");
    }
}
