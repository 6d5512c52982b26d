using System.Diagnostics.CodeAnalysis;
using Microsoft.Win32.SafeHandles;
using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// What a backup reads from Redis: each collection (hash tag: one slot) at one version of it. A page is read in one
/// MULTI/EXEC with the tag's version counter (GET of the counter, ZRANGEBYLEX of the page, MGET of its values,
/// whose keys a plain ZRANGEBYLEX just before predicted); every page of the tag must show the version of the first.
/// Every write bumps that counter in its own MULTI/EXEC (<see cref="RedisKeys.VersionKey"/>), so equal versions mean
/// no write landed between the pages. When one did, the tag is read again, in pages sized to read it in one step
/// (<see cref="RedisSkvOptions.BackupAtomicReadBytes"/>), up to <see cref="RedisSkvOptions.BackupAttempts"/> times.
/// A tag's records go to a temporary file (mode 600 in $TMPDIR, unlinked as soon as it is open) until the tag is read whole, so a retry
/// only truncates that file, memory stays one page per tag, and the count is exact before the first record is
/// written; scans then merge the tags from the file in key order. Different tags are read at different moments.
/// </summary>
internal sealed class RedisBackupView(RedisSkvStorage storage) : ISkvReadView
{
    /// <summary>Test seam: runs before each atomic page read, with the tag and its attempt number.</summary>
    internal static readonly AsyncLocal<Action<byte[], int>?> BeforeAtomicRead = new();

    private const int MaxPageRecords = 1 << 20;
    private readonly Dictionary<string, List<Segment>> _ranges = [];
    private FileStream? _spill;
    private BinaryWriter? _writer;

    public bool IsPointInTime => false;

    public long Count => Read(null, null).Sum(s => s.Records);

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value) => storage.TryGet(key, out value);

    public bool ContainsKey(ReadOnlySpan<byte> key) => storage.ContainsKey(key);

    // point lookups are live, as TryGet's: batched like the storage's own
    public byte[]?[] GetMany(IReadOnlyList<byte[]> keys) => storage.GetMany(keys);

    public ValueTask<byte[]?> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellationToken = default) => storage.GetAsync(key, cancellationToken);

    public ValueTask<byte[]?[]> GetManyAsync(IReadOnlyList<byte[]> keys, CancellationToken cancellationToken = default) => storage.GetManyAsync(keys, cancellationToken);

    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix)
    {
        var (from, to) = SkvStore.PrefixRange(prefix);
        return ScanRange(from, to);
    }

    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive) => Merge(Read(fromInclusive, toExclusive));

    /// <summary>The range's tags, each read at one version into the temporary file (once per range: a second scan of it agrees).</summary>
    private List<Segment> Read(byte[]? from, byte[]? to)
    {
        if (from is { Length: 0 }) from = null;
        string id = $"{(from is null ? "-" : Convert.ToHexString(from))}:{(to is null ? "-" : Convert.ToHexString(to))}";
        if (_ranges.TryGetValue(id, out var done)) return done;
        int common = from is null || to is null ? 0 : from.AsSpan().CommonPrefixLength(to);
        IEnumerable<byte[]> tags = from is not null && to is not null && RedisKeys.PrefixFixesTag(from.AsSpan(0, common))
            ? [from[..RedisKeys.TagLength(from)]]
            : storage.Tags();
        var segments = new List<Segment>();
        foreach (var tag in tags)
        {
            var segment = ReadTag(tag, from, to);
            if (segment.Records > 0) segments.Add(segment);
        }
        _writer?.Flush();
        _ranges[id] = segments;
        return segments;
    }

    private Segment ReadTag(byte[] tag, byte[]? from, byte[]? to)
    {
        _spill ??= CreateSpill();
        _writer ??= new BinaryWriter(_spill, System.Text.Encoding.UTF8, leaveOpen: true);
        var options = storage.Options;
        byte[] index = RedisKeys.IndexKey(tag);
        byte[] versionKey = RedisKeys.VersionKey(tag);
        int pageRecords = RedisSkvStorage.PageSize;
        for (int attempt = 1; attempt <= options.BackupAttempts; attempt++)
        {
            _writer.Flush();
            long start = _spill.Length;
            _spill.Position = start;
            long records = 0, bytes = 0;
            long? version = null;
            bool changed = false;
            RedisValue min = from is null ? RedisValue.Null : (RedisValue)from;
            RedisValue max = to is null ? RedisValue.Null : (RedisValue)to;
            var exclude = Exclude.Stop;
            int limit = pageRecords;
            // the first page's members, read plainly: the first MULTI checks them (a later page's come from the MULTI before)
            var predicted = Unavailable.Call(() => storage.Database.SortedSetRangeByValue(index, min, max, exclude, Order.Ascending, 0, limit));
            while (!changed)
            {
                RedisValue[] values = [];
                RedisValue[] next = [];
                for (int tries = 0; ; tries++)
                {
                    BeforeAtomicRead.Value?.Invoke(tag, attempt);
                    // one MULTI/EXEC: the version, the values of this page's members and the members of the next page
                    // (valid as long as the next MULTI shows the same version); on the first page also its members
                    var tx = storage.Database.CreateTransaction();
                    var versionRead = tx.StringGetAsync(versionKey);
                    var membersRead = version is null ? tx.SortedSetRangeByValueAsync(index, min, max, exclude, Order.Ascending, 0, limit) : null;
                    var keys = new RedisKey[predicted.Length];
                    for (int i = 0; i < keys.Length; i++) keys[i] = RedisKeys.DataKey((byte[])predicted[i]!);
                    var valuesRead = keys.Length > 0 ? tx.StringGetAsync(keys) : Task.FromResult(Array.Empty<RedisValue>());
                    var nextRead = predicted.Length == limit
                        ? tx.SortedSetRangeByValueAsync(index, predicted[^1], max, Exclude.Both, Order.Ascending, 0, limit)
                        : Task.FromResult(Array.Empty<RedisValue>());
                    Unavailable.Call(() => tx.Execute());
                    long now = (long?)versionRead.Result ?? 0;
                    if (version is not null)
                    {
                        // a later page: its members were read with the version the first page showed
                        if (now != version) changed = true; // a write landed since the tag's first page
                        else (values, next) = (valuesRead.Result, nextRead.Result);
                        break;
                    }
                    var members = membersRead!.Result;
                    if (members.AsSpan().SequenceEqual(predicted))
                    {
                        version = now;
                        (values, next) = (valuesRead.Result, nextRead.Result);
                        break;
                    }
                    // the first page's members changed between the plain read and the MULTI: predict again from what
                    // the MULTI saw (writes that only change values do not get here)
                    if (tries + 1 >= options.BackupAttempts)
                    {
                        changed = true;
                        break;
                    }
                    predicted = members;
                }
                if (changed) break;
                for (int i = 0; i < predicted.Length; i++)
                {
                    if (values[i].IsNull) continue; // no value beside its member: not a TypedSkv write (they go together)
                    byte[] key = (byte[])predicted[i]!;
                    byte[] value = (byte[])values[i]!;
                    _writer.Write7BitEncodedInt(key.Length);
                    _writer.Write(key);
                    _writer.Write7BitEncodedInt(value.Length);
                    _writer.Write(value);
                    records++;
                    bytes += key.Length + value.Length;
                }
                if (predicted.Length < limit || next.Length == 0)
                {
                    _writer.Flush();
                    return new Segment(start, _spill.Length - start, records);
                }
                predicted = next;
            }
            // changed under the read: start the tag again, in pages that take it in one step if it fits the budget
            _writer.Flush();
            _spill.SetLength(start);
            long perRecord = records > 0 ? Math.Max(1, bytes / records) : 64;
            pageRecords = (int)Math.Clamp(options.BackupAtomicReadBytes / perRecord, RedisSkvStorage.PageSize, MaxPageRecords);
        }
        throw new SkvTransactionConflictException(
            $"redis: the collection {KeyFormatter.Describe(tag)} changed during each of {options.BackupAttempts} attempts to back it up at one version " +
            $"(writers never paused for as long as reading it takes; a collection up to RedisSkvOptions.BackupAtomicReadBytes = {options.BackupAtomicReadBytes} bytes is read in one step); " +
            "nothing was written - run the backup again, or while its writers pause");
    }

    private static FileStream CreateSpill()
    {
        string path = Path.Combine(Path.GetTempPath(), $"skv-redis-backup-{Guid.NewGuid():N}.tmp");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.None,
            Options = FileOptions.DeleteOnClose,
            BufferSize = 1 << 16,
        };
        // the records of the backup: readable by this user only
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        var spill = new FileStream(path, options);
        // unlinked at once (the open handle keeps it): nothing is left behind, even when the process is killed
        if (!OperatingSystem.IsWindows()) File.Delete(path);
        return spill;
    }

    private IEnumerable<SkvEntry> Merge(List<Segment> segments)
    {
        if (segments.Count == 0) yield break;
        var handle = _spill!.SafeFileHandle;
        var readers = segments.Select(s => new SegmentReader(handle, s)).ToList();
        var queue = new PriorityQueue<int, byte[]>(ByteComparer.Instance);
        for (int i = 0; i < readers.Count; i++)
        {
            if (readers[i].Next()) queue.Enqueue(i, readers[i].Key);
        }
        while (queue.TryDequeue(out int i, out _))
        {
            yield return new SkvEntry(readers[i].Key, readers[i].Value);
            if (readers[i].Next()) queue.Enqueue(i, readers[i].Key);
        }
    }

    public void Dispose()
    {
        _writer?.Dispose();
        _spill?.Dispose();
    }

    private readonly record struct Segment(long Offset, long Length, long Records);

    /// <summary>The records of one tag, from the temporary file, with a small buffer of its own.</summary>
    private sealed class SegmentReader
    {
        private readonly BinaryReader _reader;
        private long _left;

        public SegmentReader(SafeFileHandle handle, Segment segment)
        {
            _reader = new BinaryReader(new BufferedStream(new RangeStream(handle, segment.Offset, segment.Length), 1 << 12));
            _left = segment.Records;
        }

        public byte[] Key { get; private set; } = [];
        public byte[] Value { get; private set; } = [];

        public bool Next()
        {
            if (_left == 0) return false;
            _left--;
            Key = _reader.ReadBytes(_reader.Read7BitEncodedInt());
            Value = _reader.ReadBytes(_reader.Read7BitEncodedInt());
            return true;
        }
    }

    /// <summary>A read-only window [offset, offset + length) of a file, read with positional reads (no shared position).</summary>
    private sealed class RangeStream(SafeFileHandle handle, long offset, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset1, int count) => Read(buffer.AsSpan(offset1, count));

        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - _position);
            if (n <= 0) return 0;
            int read = RandomAccess.Read(handle, buffer[..n], offset + _position);
            _position += read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset1, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset1, int count) => throw new NotSupportedException();
    }
}
