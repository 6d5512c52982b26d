using TypedSkv.Typed.Tests.Evolution;

namespace TypedSkv.Typed.Tests.Evolution
{
    // Two versions of one collection: v1 written before the unique index existed, v2 with it.
    [SkvRecord("people")] public sealed record PersonV1([property: SkvKey] int Id, string Email);
    [SkvDatabase(typeof(PersonV1))] public sealed partial class PeopleV1Db;

    [SkvRecord("people")] public sealed record PersonV2([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Email);
    [SkvDatabase(typeof(PersonV2))] public sealed partial class PeopleV2Db;

    // An enum member renamed between versions: v2 cannot read v1's records.
    public enum PlanV1 { Free, Gold }
    public enum PlanV2 { Free, Premium }
    [SkvRecord("accounts")] public sealed record AccountV1([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Email, PlanV1 Plan);
    [SkvDatabase(typeof(AccountV1))] public sealed partial class AccountsV1Db;
    [SkvRecord("accounts")] public sealed record AccountV2([property: SkvKey] int Id, [property: SkvIndex(Unique = true)] string Email, PlanV2 Plan);
    [SkvDatabase(typeof(AccountV2))] public sealed partial class AccountsV2Db;

    // A record whose serialization can fail part way (a getter that throws).
    [SkvRecord("wallets")]
    public sealed class Wallet
    {
        private int? _balance;

        [SkvKey] public int Id { get; init; }
        [SkvIndex(Unique = true)] public string Email { get; init; } = "";
        public int Balance { get => _balance ?? throw new InvalidOperationException("no balance"); init => _balance = value; }
    }
    [SkvDatabase(typeof(Wallet))] public sealed partial class WalletsDb;
}

namespace TypedSkv.Typed.Tests
{
    /// <summary>Index entries belong to one record: writes and deletes of another record never take them away.</summary>
    public sealed class IndexOwnershipTests : IDisposable
    {
        private readonly TempStore _temp = new();
        private SkvStore OpenStore() => SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });

        public void Dispose() => _temp.Dispose();

        [Fact]
        public void Deleting_or_updating_an_old_record_leaves_another_records_unique_entry_alone()
        {
            using var store = OpenStore();
            using var v1 = new PeopleV1Db(store);
            using var v2 = new PeopleV2Db(store);
            v1.People.Put(new PersonV1(1, "x@x"));   // no index entry: written before the index
            v2.People.Put(new PersonV2(2, "x@x"));   // takes the free value
            Assert.Equal(2, v2.People.ByEmail.Get("x@x")!.Id);

            v2.People.Delete(1);
            Assert.Equal(2, v2.People.ByEmail.Get("x@x")!.Id);
            Assert.Throws<SkvUniqueIndexException>(() => v2.People.Put(new PersonV2(3, "x@x")));

            v1.People.Put(new PersonV1(4, "x@x"));
            v2.People.Put(new PersonV2(4, "other@x")); // update of the old record: record 2 keeps its entry
            Assert.Equal(2, v2.People.ByEmail.Get("x@x")!.Id);
            Assert.Equal(4, v2.People.ByEmail.Get("other@x")!.Id);
        }

        [Fact]
        public void A_write_that_fails_to_serialize_inside_a_transaction_changes_no_index_entry()
        {
            using var db = WalletsDb.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None });
            db.Wallets.Put(new Wallet { Id = 1, Email = "old@x", Balance = 5 });
            using (var tx = db.BeginWrite())
            {
                Assert.Throws<InvalidOperationException>(() => db.Wallets.Put(tx, new Wallet { Id = 1, Email = "new@x" }));
                db.Wallets.Put(tx, new Wallet { Id = 2, Email = "two@x", Balance = 1 });
                tx.Commit();
            }
            Assert.Equal(1, db.Wallets.ByEmail.Get("old@x")!.Id);
            Assert.Null(db.Wallets.ByEmail.Get("new@x"));
            Assert.Equal(2, db.Wallets.ByEmail.Get("two@x")!.Id);
        }

        [Fact]
        public void A_record_the_current_model_cannot_read_can_still_be_overwritten_and_deleted()
        {
            using var store = OpenStore();
            using var v1 = new AccountsV1Db(store);
            using var v2 = new AccountsV2Db(store);
            v1.Accounts.Put(new AccountV1(1, "ann@x", PlanV1.Gold));
            v1.Accounts.Put(new AccountV1(2, "bob@x", PlanV1.Gold));
            var unreadable = Assert.Throws<SkvRecordFormatException>(() => v2.Accounts.Get(1));
            Assert.IsType<System.Text.Json.JsonException>(unreadable.InnerException);

            v2.Accounts.Put(new AccountV2(1, "ann@new", PlanV2.Premium));
            Assert.Equal(PlanV2.Premium, v2.Accounts.Get(1)!.Plan);
            Assert.Equal(1, v2.Accounts.ByEmail.Get("ann@new")!.Id);
            Assert.Null(v2.Accounts.ByEmail.Get("ann@x")); // the old entry went with the old record

            Assert.True(v2.Accounts.Delete(2));
            Assert.False(store.ContainsKey("accounts#email/bob@x"));
            Assert.DoesNotContain(store.ScanPrefix("accounts#"), e => e.GetValueString() == "accounts/0000000002");
        }
    }
}
