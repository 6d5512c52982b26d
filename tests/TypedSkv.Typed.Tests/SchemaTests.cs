using TypedSkv.Typed.Tests.Schema;

namespace TypedSkv.Typed.Tests;

/// <summary>
/// Schema changes between releases of a model over one store (issue 15): migrations with a schema version, indexes
/// that know whether they are built, unknown fields kept across a rewrite, unreadable records listed.
/// </summary>
public sealed class SchemaTests : IDisposable
{
    private readonly TempStore _temp = new();

    private SkvStore OpenStore() => SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });

    public void Dispose() => _temp.Dispose();

    private static string StoredVersion(SkvStore store) => store.GetStringOrDefault("$skv/version") ?? "(none)";

    [Fact]
    public void An_upgrade_rekeys_a_collection_once_and_records_the_version()
    {
        using (var store = OpenStore())
        {
            var v1 = new ReleaseOneDb(store);
            v1.Events.Put(new EventV1(1, "created"));
            v1.Events.Put(new EventV1(-5, "negative"));
        }
        int before = MigratedEventsDb.Upgrades;
        using (var store = OpenStore())
        {
            var v2 = new MigratedEventsDb(store);
            Assert.Equal(before + 1, MigratedEventsDb.Upgrades);
            Assert.Equal("created", v2.Events.Get(1L)!.Kind);
            Assert.Equal("negative", v2.Events.Get(-5L)!.Kind);
            Assert.Equal(2, v2.Events.All().Count());
            Assert.Equal(["-9223372036854775803", "0000000000000000001"], store.ScanPrefix("events/").Select(e => e.KeyString["events/".Length..]).Order(StringComparer.Ordinal));
            Assert.Equal("2", StoredVersion(store));
            v2.Events.Put(new EventV2(1, "updated"));
            Assert.Equal(2, v2.Events.Count());
        }
        using (var store = OpenStore())
        {
            _ = new MigratedEventsDb(store);
            Assert.Equal(before + 1, MigratedEventsDb.Upgrades); // ran once
            var e = Assert.Throws<SkvSchemaVersionException>(() => new OlderEventsDb(store));
            Assert.Equal(2, e.StoredVersion);
            Assert.Equal(1, e.ModelVersion);
        }
    }

    [Fact]
    public void A_failed_upgrade_changes_nothing()
    {
        using (var store = OpenStore())
        {
            new ReleaseOneDb(store).Events.Put(new EventV1(1, "created"));
        }
        using (var store = OpenStore())
        {
            var keys = store.Scan().Select(e => e.KeyString + "=" + e.GetValueString()).ToList();
            Assert.Throws<InvalidOperationException>(() => new FailingUpgradeDb(store));
            Assert.Equal(keys, store.Scan().Select(e => e.KeyString + "=" + e.GetValueString()).ToList());
            Assert.Equal("(none)", StoredVersion(store));
        }
    }

    [Fact]
    public void Open_disposes_the_store_when_the_schema_check_fails()
    {
        using (var db = ReleaseOneDb.Open(_temp.Path))
        {
            db.Events.Put(new EventV1(1, "created"));
        }
        Assert.Throws<SkvSchemaMismatchException>(() => ReleaseTwoEventsDb.Open(_temp.Path));
        using var again = ReleaseOneDb.Open(_temp.Path); // not locked by a leaked store
        Assert.Equal("created", again.Events.Get(1)!.Kind);
    }

    [Fact]
    public void A_pending_index_refuses_lookups_until_built()
    {
        using (var store = OpenStore())
        {
            var v1 = new ReleaseOneDb(store);
            v1.Members.Put(new MemberV1(1, "same@x.io"));
            v1.Members.Put(new MemberV1(2, "same@x.io"));
        }
        using (var readOnly = ReleaseTwoDb.OpenReadOnly(_temp.Path))
        {
            var e = Assert.Throws<SkvIndexNotBuiltException>(() => readOnly.Members.ByEmail.Get("same@x.io"));
            Assert.Equal("email", e.Index);
            Assert.Equal(["email"], readOnly.Members.PendingIndexes);
        }
        using (var store = OpenStore())
        {
            var v2 = new ReleaseTwoDb(store);  // the build at open fails on the duplicate; the database opens anyway
            var e = Assert.Throws<SkvIndexNotBuiltException>(() => v2.Members.ByEmail.Get("same@x.io"));
            Assert.IsType<SkvUniqueIndexException>(e.InnerException);
            Assert.Throws<SkvUniqueIndexException>(() => v2.BuildPendingIndexes());

            v2.Members.Put(new MemberV2(2, "other@x.io"));    // fix the data
            Assert.Equal(2, v2.BuildPendingIndexes());
            Assert.Empty(v2.Members.PendingIndexes);
            Assert.Equal(2, v2.Members.ByEmail.Get("other@x.io")!.Id);
            Assert.Equal(1, v2.Members.ByEmail.Get("same@x.io")!.Id);
        }
        using (var readOnly = ReleaseTwoDb.OpenReadOnly(_temp.Path))
        {
            Assert.Equal(1, readOnly.Members.ByEmail.Get("same@x.io")!.Id); // built state is stored
        }
    }

    [Fact]
    public async Task A_pending_index_refuses_every_lookup_before_checking_its_arguments()
    {
        using var store = OpenStore();
        var v1 = new ReleaseOneDb(store);
        v1.Members.Put(new MemberV1(1, "same@x.io"));
        v1.Members.Put(new MemberV1(2, "same@x.io"));
        var v2 = new ReleaseTwoDb(store); // the build fails on the duplicate: the index stays pending
        var index = v2.Members.ByEmail;
        var foreign = new SkvIndexCursor("elsewhere#x/"u8.ToArray()); // not a position in members: an ArgumentException once built
        Assert.Throws<SkvIndexNotBuiltException>(() => index.Find("same@x.io"));
        Assert.Throws<SkvIndexNotBuiltException>(() => index.Exists("same@x.io"));
        Assert.Throws<SkvIndexNotBuiltException>(() => index.Range("a", "z"));
        Assert.Throws<SkvIndexNotBuiltException>(() => index.Range("a", "z", after: foreign));
        await Assert.ThrowsAsync<SkvIndexNotBuiltException>(async () => await index.FindAsync("same@x.io"));
        await Assert.ThrowsAsync<SkvIndexNotBuiltException>(async () => await index.GetAsync("same@x.io"));
        await Assert.ThrowsAsync<SkvIndexNotBuiltException>(async () => await index.ExistsAsync("same@x.io"));
        await Assert.ThrowsAsync<SkvIndexNotBuiltException>(async () => await index.RangeAsync("a", "z", after: foreign));
        using (ISkvWriteTransaction tx = store.BeginTransaction())
        {
            Assert.Throws<SkvIndexNotBuiltException>(() => index.Get(tx, "same@x.io"));
            Assert.Throws<SkvIndexNotBuiltException>(() => index.Find(tx, "same@x.io"));
            Assert.Throws<SkvIndexNotBuiltException>(() => index.Exists(tx, "same@x.io"));
            Assert.Throws<SkvIndexNotBuiltException>(() => index.Range(tx, "a", "z", after: foreign));
        }

        v2.Members.Put(new MemberV2(2, "other@x.io"));
        Assert.Equal(2, v2.BuildPendingIndexes());
        Assert.Throws<ArgumentException>(() => index.Range("a", "z", after: foreign));
        await Assert.ThrowsAsync<ArgumentException>(async () => await index.RangeAsync("a", "z", after: foreign));
    }

    [Fact]
    public void An_index_written_past_by_a_model_without_it_is_rebuilt()
    {
        using var store = OpenStore();
        var v2 = new ReleaseTwoDb(store);
        v2.Members.Put(new MemberV2(1, "ann@x.io"));
        Assert.Equal(1, v2.Members.ByEmail.Get("ann@x.io")!.Id);

        // an older release writes without maintaining the index it does not know
        var v1 = new ReleaseOneDb(store);
        v1.Members.Put(new MemberV1(1, "ann@new.io"));
        v1.Members.Put(new MemberV1(2, "bob@x.io"));

        var reopened = new ReleaseTwoDb(store);
        Assert.Null(reopened.Members.ByEmail.Get("ann@x.io"));
        Assert.Equal(1, reopened.Members.ByEmail.Get("ann@new.io")!.Id);
        Assert.Equal(2, reopened.Members.ByEmail.Get("bob@x.io")!.Id);
    }

    [Fact]
    public void Unreadable_records_are_listed_and_skipped_on_request()
    {
        using var store = OpenStore();
        var v1 = new ReleaseOneDb(store);
        v1.Accounts.Put(new AccountV1("ann", "Pro"));
        v1.Accounts.Put(new AccountV1("bob", "Gold"));
        v1.Accounts.Put(new AccountV1("cid", "Free"));
        store.Put("accounts/dan", "{not json");

        var v2 = new ReleaseTwoDb(store);
        var skipped = new List<SkvRecordFormatException>();
        Assert.Equal(["ann", "cid"], v2.Accounts.All(skipped.Add).Select(a => a.Name));
        Assert.Equal(["\"accounts/bob\"", "\"accounts/dan\""], skipped.Select(e => e.Key));
        Assert.Equal("plan", skipped[0].Property);
        Assert.Equal("accounts", skipped[0].Collection);
        Assert.Equal(["\"accounts/bob\"", "\"accounts/dan\""], v2.Accounts.FindUnreadable().Select(e => e.Key));
    }

    [Fact]
    public void Extension_data_keeps_fields_the_model_does_not_know_across_a_rewrite()
    {
        using var store = OpenStore();
        new ProfilesV1Db(store).Profiles.Put(new ProfileV1(1, "Ann", "annie"));

        var v2 = new ProfilesV2Db(store);
        var profile = v2.Profiles.Get(1)!;
        Assert.Equal("annie", profile.Unknown!["nick"].GetString());
        profile.Name = "Ann Lee";
        v2.Profiles.Put(profile);

        Assert.Equal(new ProfileV1(1, "Ann Lee", "annie"), new ProfilesV1Db(store).Profiles.Get(1));
        Assert.Equal("""{"id":1,"name":"Ann Lee","nick":"annie"}""", store.GetString("profiles/0000000001"));
    }

    [Fact]
    public void The_schema_record_describes_key_and_built_indexes()
    {
        using var store = OpenStore();
        _ = new ReleaseTwoDb(store);
        Assert.Equal("""{"format":1,"key":"int32","indexes":["email:string:unique"]}""", store.GetString("$skv/schema/members"));
        Assert.Equal("""{"format":1,"key":"string","indexes":[]}""", store.GetString("$skv/schema/accounts"));
    }
}
