using TypedSkv;

namespace TypedSkv.Typed.Tests.Schema;

// Two versions of a few collections, as an application's model evolves between releases: each database class is
// one release's view of the same store file.

/// <summary>Release 1: an int key.</summary>
[SkvRecord("events")]
public sealed record EventV1([property: SkvKey] int Id, string Kind);

/// <summary>Release 2: the key became a long (a different encoded key).</summary>
[SkvRecord("events")]
public sealed record EventV2([property: SkvKey] long Id, string Kind);

/// <summary>Release 1: no index.</summary>
[SkvRecord("members")]
public sealed record MemberV1([property: SkvKey] int Id, string Email);

/// <summary>Release 2: a unique index on Email.</summary>
[SkvRecord("members")]
public sealed record MemberV2([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Email);

/// <summary>Release 1: Age as text.</summary>
[SkvRecord("people")]
public sealed record PersonV1([property: SkvKey] int Id, string Age);

/// <summary>Release 2: Age became a number.</summary>
[SkvRecord("people")]
public sealed record PersonV2([property: SkvKey] int Id, int Age);

public enum Plan { Free, Pro }

[SkvRecord("accounts")]
public sealed record AccountV1([property: SkvKey] string Name, string Plan);

[SkvRecord("accounts")]
public sealed record AccountV2([property: SkvKey] string Name, Plan Plan);

[SkvDatabase(typeof(EventV1), typeof(MemberV1), typeof(AccountV1), typeof(PersonV1))]
public sealed partial class ReleaseOneDb;

[SkvDatabase(typeof(MemberV2), typeof(AccountV2), typeof(PersonV2))]
public sealed partial class ReleaseTwoDb;

[SkvDatabase(typeof(EventV2))]
public sealed partial class ReleaseTwoEventsDb;
