// A migration script as users write them: back up the store, evolve the "users" collection from schema v1 to
// v2 with the typed accessors, verify, and restore the backup automatically when anything fails.
//
//   dotnet run --project samples/Migration [-- <store.skv>] [--fail-after N]
//
// Without a store path it works on a fresh demo store seeded with v1 data (deleted at the end). --fail-after N
// makes the migration throw after N records, to show the automatic restore.
//
// Exit codes: 0 migrated (or already at v2); 1 did not start (bad arguments, or the backup could not be made
// and verified: nothing was changed); 2 migration failed and the backup was restored and verified (the store is
// as before); 3 migration failed and the restore failed too (the store needs attention; the backup is kept).
using TypedSkv;
using Migration;

string? path = null;
int? failAfter = null;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--fail-after" && i + 1 < args.Length && int.TryParse(args[++i], out int n)) failAfter = n;
    else if (!args[i].StartsWith("--", StringComparison.Ordinal) && path is null) path = args[i];
    else
    {
        Console.Error.WriteLine($"error: unexpected argument '{args[i]}'");
        return (int)Outcome.NotStarted;
    }
}

string? demoDirectory = path is null ? Path.Combine(Path.GetTempPath(), "typedskv-migration-" + Guid.NewGuid().ToString("N")[..8]) : null;
path ??= Path.Combine(demoDirectory!, "app.skv");
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
try
{
    using var store = SkvStore.Open(path);
    if (demoDirectory is not null) Seed(new AppDbV1(store));
    return (int)UsersV1ToV2.Run(store, path, failAfter);
}
finally
{
    if (demoDirectory is not null) Directory.Delete(demoDirectory, recursive: true);
}

static void Seed(AppDbV1 db)
{
    string[] first = ["Ann", "Bob", "Cid", "Dee", "Eve", "Fay", "Gus"];
    string[] last = ["Lee", "Nash", "Ortiz", "Park", "Quinn"];
    for (int i = 1; i <= 250; i++)
    {
        db.Users.Put(new UserV1(i, $"{first[i % first.Length]} {last[i % last.Length]}", $"user{i}@example.com"));
    }
    db.Meta.Put(new MetaValue("schema", 1));
    Console.WriteLine("seeded:   250 users at schema v1 (demo store)");
}
