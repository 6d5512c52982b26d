using TypedSkv;

namespace Migration;

/// <summary>Store-wide facts, such as the schema version ("schema").</summary>
[SkvRecord("meta")]
public sealed record MetaValue([property: SkvKey] string Name, int Value);

/// <summary>Schema v1 of a user: one name field, no index.</summary>
[SkvRecord("users")]
public sealed record UserV1([property: SkvKey] int Id, string FullName, string Email);

/// <summary>
/// Schema v2 of the same collection: the name split in two and a unique index on Email. Unknown JSON
/// properties are skipped and missing ones get defaults, so v2 code reads v1 data (FirstName/LastName empty)
/// and v1 code reads v2 data; the migration fills in the new fields.
/// </summary>
[SkvRecord("users")]
public sealed record User(
    [property: SkvKey] int Id,
    string FirstName,
    string LastName,
    [property: SkvIndex(Unique = true)] string Email);

/// <summary>The store as schema v1 code sees it.</summary>
[SkvDatabase(typeof(UserV1), typeof(MetaValue))]
public sealed partial class AppDbV1;

/// <summary>The store as schema v2 code sees it.</summary>
[SkvDatabase(typeof(User), typeof(MetaValue))]
public sealed partial class AppDb;
