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

/// <summary>Release 2 of the events, migrated: the upgrade moves every record to its long key.</summary>
[SkvDatabase(typeof(EventV2), SchemaVersion = 2)]
public sealed partial class MigratedEventsDb
{
    public static int Upgrades;

    partial void OnUpgrade(SkvUpgrade upgrade)
    {
        Interlocked.Increment(ref Upgrades);
        if (upgrade.FromVersion < 2) upgrade.Rekey(Events);
    }
}

/// <summary>An older release with versions: refuses a store a newer release upgraded.</summary>
[SkvDatabase(typeof(EventV2), SchemaVersion = 1)]
public sealed partial class OlderEventsDb;

/// <summary>An upgrade that writes, then fails: nothing of it may stay.</summary>
[SkvDatabase(typeof(EventV2), SchemaVersion = 3)]
public sealed partial class FailingUpgradeDb
{
    partial void OnUpgrade(SkvUpgrade upgrade)
    {
        upgrade.Rekey(Events);
        Events.Put(upgrade.Transaction, new EventV2(99, "from the upgrade"));
        throw new InvalidOperationException("upgrade failed on purpose");
    }
}

/// <summary>Release 1 of a profile, and release 2 that dropped Nick but keeps unknown fields.</summary>
[SkvRecord("profiles")]
public sealed record ProfileV1([property: SkvKey] int Id, string Name, string Nick);

[SkvRecord("profiles")]
public sealed class ProfileV2
{
    [SkvKey] public int Id { get; init; }
    public string Name { get; set; } = "";
    [SkvExtensionData] public Dictionary<string, System.Text.Json.JsonElement>? Unknown { get; set; }
}

[SkvDatabase(typeof(ProfileV1))]
public sealed partial class ProfilesV1Db;

[SkvDatabase(typeof(ProfileV2))]
public sealed partial class ProfilesV2Db;
