using System.Diagnostics.CodeAnalysis;

namespace TypedSkv.Typed.Tests;

/// <summary>
/// An embedded store seen only through <see cref="ISkvStorage"/> (not a <see cref="SkvStore"/>), so the typed collections
/// take the path they take on a server backend: async index lookups scan the entries, then read the records in one
/// batch. <see cref="BeforeGetMany"/> runs between the two reads, as another client's write would.
/// </summary>
internal sealed class ServerLikeStorage(SkvStore store) : ISkvStorage
{
    private readonly ISkvStorage _inner = store;

    public Action? BeforeGetMany { get; set; }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value) => _inner.TryGet(key, out value);
    public bool ContainsKey(ReadOnlySpan<byte> key) => _inner.ContainsKey(key);
    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => _inner.GetMany(keys);

    public ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default)
    {
        var hook = BeforeGetMany;
        BeforeGetMany = null;
        hook?.Invoke();
        return _inner.GetManyAsync(keys, cancellationToken);
    }

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _inner.Put(key, value);
    public bool TryInsert(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _inner.TryInsert(key, value);
    public bool TryUpdate(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => _inner.TryUpdate(key, value);
    public bool Delete(ReadOnlySpan<byte> key) => _inner.Delete(key);
    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix) => _inner.ScanPrefix(prefix);
    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive) => _inner.ScanRange(fromInclusive, toExclusive);
    public ISkvWriteTransaction BeginWrite() => _inner.BeginWrite();
    public ValueTask<ISkvWriteTransaction> BeginWriteAsync(CancellationToken cancellationToken = default) => _inner.BeginWriteAsync(cancellationToken);
    /// <summary>With true, <see cref="OpenReadView"/> gives a live view, as Redis does (not a snapshot).</summary>
    public bool LiveViews { get; set; }

    /// <summary>Runs once, before the next read of a record key (users/...) through a live view.</summary>
    public Action? BeforeRecordRead { get; set; }

    public ISkvReadView OpenReadView() => LiveViews ? new LiveView(this) : _inner.OpenReadView();

    private sealed class LiveView(ServerLikeStorage storage) : ISkvReadView
    {
        public bool IsPointInTime => false;
        public long Count => storage.ScanPrefix([]).LongCount();

        public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
        {
            if (key.StartsWith("users/"u8) && storage.BeforeRecordRead is { } hook)
            {
                storage.BeforeRecordRead = null;
                hook();
            }
            return storage.TryGet(key, out value);
        }

        public bool ContainsKey(ReadOnlySpan<byte> key) => storage.ContainsKey(key);
        public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix) => storage.ScanPrefix(prefix);
        public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive) => storage.ScanRange(fromInclusive, toExclusive);
        public void Dispose() { }
    }
    public ISkvRecordSink BeginRestore() => _inner.BeginRestore();
    public void Dispose() => _inner.Dispose();
}

/// <summary>The batch and async suite through <see cref="ServerLikeStorage"/>: the server-backend code paths, in process.</summary>
public sealed class ServerLikeBatchAndAsyncTests : BatchAndAsyncSuite, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "skv-serverlike-" + Guid.NewGuid().ToString("N"));
    private int _generation;

    protected override TestDb Open()
    {
        Directory.CreateDirectory(_dir);
        var store = SkvStore.Open(Path.Combine(_dir, $"db{++_generation}.skv"), new SkvOptions { Durability = SkvDurability.None });
        return new TestDb(new ServerLikeStorage(store));
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Async index lookups on a server-like storage when a record changes between the entry scan and the record read.</summary>
public sealed class ServerLikeIndexRaceTests : IDisposable
{
    private readonly TempStore _temp = new();
    private readonly ServerLikeStorage _storage;
    private readonly TestDb _db;

    public ServerLikeIndexRaceTests()
    {
        _storage = new ServerLikeStorage(SkvStore.Open(_temp.Path, new SkvOptions { Durability = SkvDurability.None }));
        _db = new TestDb(_storage);
        for (int i = 1; i <= 5; i++) _db.Users.Put(new User(i, "user" + i, $"u{i}@x.io", i <= 3 ? "Oslo" : "Rome"));
    }

    public void Dispose()
    {
        _db.Dispose();
        _temp.Dispose();
    }

    [Fact]
    public async Task FindAsync_leaves_out_a_record_that_moved_away_and_keeps_the_others()
    {
        _storage.BeforeGetMany = () => _db.Users.Put(new User(2, "user2", "u2@x.io", "Rome"));
        Assert.Equal([1, 3], (await _db.Users.ByCity.FindAsync("Oslo")).Select(u => u.Id));
        Assert.Equal([2, 4, 5], (await _db.Users.ByCity.FindAsync("Rome")).Select(u => u.Id));
    }

    [Fact]
    public async Task GetAsync_on_a_unique_index_is_null_when_the_record_changed_its_value_meanwhile()
    {
        _storage.BeforeGetMany = () => _db.Users.Put(new User(1, "user1", "moved@x.io", "Oslo"));
        Assert.Null(await _db.Users.ByEmail.GetAsync("u1@x.io"));
        Assert.Equal(1, (await _db.Users.ByEmail.GetAsync("moved@x.io"))!.Id);
    }

    [Fact]
    public async Task RangeAsync_pages_by_entry_even_when_a_record_of_the_page_is_left_out()
    {
        _storage.BeforeGetMany = () => _db.Users.Delete(2);
        var first = await _db.Users.ByCity.RangeAsync("A", "Z", limit: 2);
        Assert.Equal([1], first.Items.Select(u => u.Id));
        Assert.NotNull(first.Next);
        var rest = await _db.Users.ByCity.RangeAsync("A", "Z", limit: 10, after: first.Next);
        Assert.Equal([3, 4, 5], rest.Items.Select(u => u.Id));
        Assert.Null(rest.Next);
        Assert.Equal(_db.Users.ByCity.Range("A", "Z").Items.Select(u => u.Id), (await _db.Users.ByCity.RangeAsync("A", "Z")).Items.Select(u => u.Id));
    }

    [Fact]
    public void Sync_lookups_over_a_live_view_leave_out_a_record_that_changed_between_the_entry_and_record_reads()
    {
        // as the async lookups do: Find("Oslo") over Redis returned a record whose City was Rome
        _storage.LiveViews = true;
        _storage.BeforeRecordRead = () => _db.Users.Put(new User(2, "user2", "u2@x.io", "Rome"));
        Assert.Equal([1, 3], _db.Users.ByCity.Find("Oslo").Select(u => u.Id));
        Assert.All(_db.Users.ByCity.Find("Rome"), u => Assert.Equal("Rome", u.City));

        _storage.BeforeRecordRead = () => _db.Users.Put(new User(1, "user1", "moved@x.io", "Oslo"));
        Assert.Null(_db.Users.ByEmail.Get("u1@x.io"));
        _storage.BeforeRecordRead = () => _db.Users.Put(new User(3, "user3", "moved3@x.io", "Oslo"));
        Assert.Empty(_db.Users.ByEmail.Find("u3@x.io"));

        // entries Oslo 1, 3 and Rome 2, 4, 5 are read first; then 5 moves to Bergen before the records are read
        _storage.BeforeRecordRead = () => _db.Users.Put(new User(5, "user5", "u5@x.io", "Bergen"));
        Assert.Equal([1, 3, 2, 4], _db.Users.ByCity.Range("O", "Z").Items.Select(u => u.Id));
        Assert.Equal([5], _db.Users.ByCity.Range("A", "O").Items.Select(u => u.Id));
    }
}
