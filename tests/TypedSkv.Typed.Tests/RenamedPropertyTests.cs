using TypedSkv.Typed.Tests.Renames;

namespace TypedSkv.Typed.Tests.Renames
{
    [SkvRecord("contacts")] public sealed record ContactV1([property: SkvKey] int Id, string FullName, string Email);

    /// <summary>FullName renamed to Name without [SkvPropertyName]: stored "fullName" values read as "".</summary>
    [SkvRecord("contacts")] public sealed record ContactRenamed([property: SkvKey] int Id, string Name, string Email);

    /// <summary>The same rename done right: the stored name stays.</summary>
    [SkvRecord("contacts")] public sealed record ContactKeptName([property: SkvKey] int Id, [property: SkvPropertyName("fullName")] string Name, string Email);

    [SkvDatabase(typeof(ContactV1))] public sealed partial class ContactsV1Db;
    [SkvDatabase(typeof(ContactRenamed))] public sealed partial class ContactsRenamedDb;
    [SkvDatabase(typeof(ContactKeptName))] public sealed partial class ContactsKeptNameDb;
}

namespace TypedSkv.Typed.Tests
{
    /// <summary>Issue 15: a property renamed without [SkvPropertyName] reads as its default; FindUnknownProperties finds it.</summary>
    public sealed class RenamedPropertyTests : IDisposable
    {
        private readonly TempStore _temp = new();
        private readonly SkvStore _store;

        public RenamedPropertyTests()
        {
            _store = SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });
            var v1 = new ContactsV1Db(_store);
            v1.Contacts.Put(new ContactV1(1, "Ann Lee", "ann@x.io"));
            v1.Contacts.Put(new ContactV1(2, "Bob Ek", "bob@x.io"));
        }

        public void Dispose()
        {
            _store.Dispose();
            _temp.Dispose();
        }

        [Fact]
        public void A_renamed_property_is_reported_with_its_record_count_and_an_example_key()
        {
            var renamed = new ContactsRenamedDb(_store);
            Assert.Equal("", renamed.Contacts.Get(1)!.Name); // what the check is for: the data reads as the default
            var unknown = Assert.Single(renamed.Contacts.FindUnknownProperties());
            Assert.Equal("fullName", unknown.Name);
            Assert.Equal(2, unknown.Records);
            Assert.Contains("0000000001", unknown.ExampleKey);

            // once every record is rewritten by the new model the old name is gone (and so is its data)
            renamed.Contacts.Put(renamed.Contacts.Get(1)!);
            Assert.Equal(1, Assert.Single(renamed.Contacts.FindUnknownProperties()).Records);
        }

        [Fact]
        public void A_rename_that_keeps_the_stored_name_reports_nothing()
        {
            var kept = new ContactsKeptNameDb(_store);
            Assert.Equal("Ann Lee", kept.Contacts.Get(1)!.Name);
            Assert.Empty(kept.Contacts.FindUnknownProperties());
            Assert.Empty(new ContactsV1Db(_store).Contacts.FindUnknownProperties());
        }
    }
}
