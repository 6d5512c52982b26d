using TypedSkv.Typed.Tests.Schema;

namespace TypedSkv.Typed.Tests;

/// <summary>
/// Issue 15, silent data loss: a model change that made reads wrong without an error. These use only the API that
/// existed before the fix (they failed on it: see the report), so each shows the old behaviour was wrong.
/// </summary>
public sealed class SchemaRegressionTests : IDisposable
{
    private readonly TempStore _temp = new();

    private SkvStore OpenStore() => SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void A_changed_key_type_fails_when_the_database_opens()
    {
        using (var store = OpenStore())
        {
            new ReleaseOneDb(store).Events.Put(new EventV1(1, "created"));
        }
        using (var store = OpenStore())
        {
            // before the fix: Get(1L) was null, All() still had the record and Put added a second one
            var e = Assert.ThrowsAny<SkvException>(() => new ReleaseTwoEventsDb(store));
            Assert.Contains("events", e.Message);
            Assert.Contains("int32", e.Message);
            Assert.Contains("int64", e.Message);
            Assert.Single(store.ScanPrefix("events/"));
        }
    }

    [Fact]
    public void A_unique_index_added_to_a_collection_with_data_answers_correctly()
    {
        using (var store = OpenStore())
        {
            var v1 = new ReleaseOneDb(store);
            v1.Members.Put(new MemberV1(1, "ann@x.io"));
            v1.Members.Put(new MemberV1(2, "bob@x.io"));
        }
        using (var store = OpenStore())
        {
            var v2 = new ReleaseTwoDb(store);
            // before the fix: null (the index had no entries for old records)
            Assert.Equal(1, v2.Members.ByEmail.Get("ann@x.io")?.Id);
            // before the fix: accepted, a second record with the same email
            Assert.Throws<SkvUniqueIndexException>(() => v2.Members.Put(new MemberV2(3, "bob@x.io")));
        }
    }

    [Fact]
    public void A_unique_index_that_cannot_be_built_refuses_lookups()
    {
        using (var store = OpenStore())
        {
            var v1 = new ReleaseOneDb(store);
            v1.Members.Put(new MemberV1(1, "same@x.io"));
            v1.Members.Put(new MemberV1(2, "same@x.io"));
        }
        using (var store = OpenStore())
        {
            var v2 = new ReleaseTwoDb(store);
            // before the fix: null, a wrong answer (two records have this email)
            var e = Assert.ThrowsAny<SkvException>(() => v2.Members.ByEmail.Get("same@x.io"));
            Assert.Contains("members", e.Message);
            Assert.Contains("email", e.Message);
        }
    }

    [Fact]
    public void A_property_whose_type_changed_names_collection_key_and_property()
    {
        using (var store = OpenStore())
        {
            new ReleaseOneDb(store).People.Put(new PersonV1(7, "thirty"));
        }
        using (var store = OpenStore())
        {
            var v2 = new ReleaseTwoDb(store);
            // before the fix: InvalidOperationException "Cannot get the value of a token type 'String' as a number"
            var e = Assert.ThrowsAny<SkvException>(() => v2.People.Get(7));
            Assert.Contains("people", e.Message);
            Assert.Contains("0000000007", e.Message);
            Assert.Contains("'age'", e.Message);
        }
    }

    [Fact]
    public void A_renamed_enum_member_names_collection_key_and_property()
    {
        using (var store = OpenStore())
        {
            var v1 = new ReleaseOneDb(store);
            v1.Accounts.Put(new AccountV1("ann", "Pro"));
            v1.Accounts.Put(new AccountV1("bob", "Gold"));
        }
        using (var store = OpenStore())
        {
            var v2 = new ReleaseTwoDb(store);
            Assert.Equal(Plan.Pro, v2.Accounts.Get("ann")!.Plan);
            var e = Assert.ThrowsAny<SkvException>(() => v2.Accounts.All().ToList());
            Assert.Contains("accounts/bob", e.Message);
            Assert.Contains("'plan'", e.Message);
        }
    }
}
