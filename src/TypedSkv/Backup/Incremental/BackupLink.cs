namespace TypedSkv;

/// <summary>
/// How an incremental backup names the file it applies to: the file's name (without folder), its
/// <c>created_at</c> and its records checksum (xxh3-64 hex). The time and the checksum identify it; the name says
/// where it was (an incremental's chain is found by it, in the incremental's folder).
/// </summary>
public sealed record BackupLink(string File, DateTimeOffset CreatedAt, string Checksum);
