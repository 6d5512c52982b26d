using System.Diagnostics.CodeAnalysis;
using System.Text;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>What opening the store had to repair (a read-only store: what it ignored, leaving the file as it is).</summary>
/// <param name="TruncatedBytes">Bytes of torn tail cut off (an append interrupted by a crash); read-only: bytes ignored.</param>
/// <param name="DiscardedBatchRecords">Records of a batch whose commit never reached the disk.</param>
/// <param name="Reason">Why the tail was considered torn, or null.</param>
public sealed record SkvRecoveryReport(long TruncatedBytes, int DiscardedBatchRecords, string? Reason)
{
    public bool Repaired => TruncatedBytes > 0;
}

/// <summary>Size figures of a store.</summary>
/// <param name="LiveRecords">Keys the store holds.</param>
/// <param name="DeadRecords">Records in the file that compaction would drop (overwritten, deleted, tombstones, batch markers).</param>
/// <param name="FileSizeBytes">Size of the data file.</param>
/// <param name="LiveBytes">Bytes of the file taken by live records.</param>
/// <param name="FormatVersion">On-disk format version.</param>
public sealed record SkvStats(long LiveRecords, long DeadRecords, long FileSizeBytes, long LiveBytes, int FormatVersion);

/// <summary>
/// An embedded key-value store in one log-structured file. Thread-safe: any number of threads read without
/// locks while writes are serialized. Open with <see cref="Open"/> (one writer per file, enforced with an OS
/// lock) or <see cref="OpenReadOnly"/> (any number, also while another process writes).
/// </summary>
public sealed partial class SkvStore : IDisposable
{
    /// <summary>Longest key in bytes (keys are 1 to this many bytes).</summary>
    public const int MaxKeyLength = RecordFormat.MaxKeyLength;

    /// <summary>Appended to the data file's path to name the writer's lock file.</summary>
    public const string LockFileSuffix = ".lock";
    internal const string CompactSuffix = ".compact";

    private volatile StoreState _state;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly FileStream? _lockFile;
    private readonly SkvOptions _options;
    private int _disposed;

    private SkvStore(string path, StoreState state, FileStream? lockFile, SkvOptions options, SkvRecoveryReport recovery, DateTimeOffset created)
    {
        FilePath = path;
        _state = state;
        _lockFile = lockFile;
        _options = options;
        Recovery = recovery;
        CreatedAt = created;
    }

    /// <summary>The data file's path, as given to Open.</summary>
    public string FilePath { get; }

    public bool IsReadOnly => _lockFile is null;
    public SkvDurability Durability => _options.Durability;

    /// <summary>What opening the file repaired (torn tail, unfinished batch).</summary>
    public SkvRecoveryReport Recovery { get; }

    /// <summary>When the data file was first created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The current data file (fault injection in tests).</summary>
    internal DataFile CurrentFile => _state.File;

    /// <summary>Group-commit fsyncs of the current file (tests and diagnostics).</summary>
    internal long SyncCount => Interlocked.Read(ref _state.File.SyncCount);

    /// <summary>Number of keys.</summary>
    public long Count => _state.Count;

    // ------------------------------------------------------------------ open

    /// <summary>Opens (or creates) a store for reading and writing. Throws <see cref="SkvLockedException"/> when another writer has it.</summary>
    public static SkvStore Open(string path, SkvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SkvOptions();
        if (options.WriteBufferSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "WriteBufferSize must be positive");
        if (!options.CreateIfMissing && !File.Exists(path))
            throw new FileNotFoundException($"store file not found: {path}", path);
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException($"directory of store file does not exist: {dir}");

        FileStream lockFile = FileLock.Acquire(path);
        SafeFileHandle? handle = null;
        try
        {
            // a compaction that crashed before its rename left only a scratch file; the data file is intact
            if (File.Exists(path + CompactSuffix)) File.Delete(path + CompactSuffix);
            handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            DateTimeOffset created = InitializeOrCheckHeader(path, handle);
            long length = RandomAccess.GetLength(handle);
            var scan = LogScanner.Scan(path, handle, length, options.DropDamagedTail);
            if (scan.ValidEnd < length)
            {
                RandomAccess.SetLength(handle, scan.ValidEnd);
                RandomAccess.FlushToDisk(handle);
            }
            var file = new DataFile(path, handle, scan.ValidEnd, options.WriteBufferSize, writable: true);
            var state = new StoreState(scan.Root, scan.Count, file, scan.FileRecords, scan.LiveBytes);
            var recovery = new SkvRecoveryReport(scan.TornBytes, scan.DiscardedBatchRecords, scan.TornReason);
            return new SkvStore(path, state, lockFile, options, recovery, created);
        }
        catch
        {
            handle?.Dispose();
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a store for reading only. Needs no lock, so it works while another process writes; it sees every
    /// record committed before this call, and ignores a write in progress at the end of the file.
    /// </summary>
    public static SkvStore OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"store file not found: {path}", path);
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length < RecordFormat.FileHeaderSize)
                throw new SkvFormatException(path, $"file is {length} bytes, too short for a TypedSkv header");
            Span<byte> header = stackalloc byte[RecordFormat.FileHeaderSize];
            RandomAccess.Read(handle, header, 0);
            if (RecordFormat.CheckFileHeader(header, out var created) is { } problem) throw new SkvFormatException(path, problem);
            var scan = LogScanner.Scan(path, handle, length);
            var file = new DataFile(path, handle, scan.ValidEnd, 0, writable: false);
            var state = new StoreState(scan.Root, scan.Count, file, scan.FileRecords, scan.LiveBytes);
            // nothing is cut (the tail may be another process's append in progress); Recovery says what was ignored
            return new SkvStore(path, state, null, new SkvOptions { Durability = SkvDurability.None },
                new SkvRecoveryReport(scan.TornBytes, scan.DiscardedBatchRecords, scan.TornReason), created);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static DateTimeOffset InitializeOrCheckHeader(string path, SafeFileHandle handle)
    {
        long length = RandomAccess.GetLength(handle);
        Span<byte> header = stackalloc byte[RecordFormat.FileHeaderSize];
        if (length < RecordFormat.FileHeaderSize)
        {
            // empty, or a creation that crashed before its header was complete: only then is it ours to write
            int have = (int)length;
            RandomAccess.Read(handle, header[..have], 0);
            int prefix = Math.Min(have, RecordFormat.Magic.Length);
            if (!header[..prefix].SequenceEqual(RecordFormat.Magic[..prefix]))
                throw new SkvFormatException(path, "not a TypedSkv data file (bad magic bytes)");
            var now = DateTimeOffset.UtcNow;
            RecordFormat.WriteFileHeader(header, now);
            RandomAccess.Write(handle, header, 0);
            RandomAccess.FlushToDisk(handle);
            DirectorySync.SyncParentOf(path);
            return DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds());
        }
        RandomAccess.Read(handle, header, 0);
        if (RecordFormat.CheckFileHeader(header, out var created) is { } problem) throw new SkvFormatException(path, problem);
        return created;
    }

    // ------------------------------------------------------------------ reads

    /// <summary>Takes the current version and pins its file against a concurrent compaction.</summary>
    private StoreState AcquireState()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var s = _state;
            if (s.File.TryAcquire()) return s;
        }
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        var s = AcquireState();
        try { return s.TryGet(key, out value); }
        finally { s.File.Release(); }
    }

    /// <summary>
    /// Reads a value without allocating an array for it: <paramref name="reader"/> gets the checksum-verified bytes,
    /// valid only during the call (deserialize or copy them there). False, and nothing called, when the key is missing.
    /// </summary>
    public bool TryRead<TState, TResult>(ReadOnlySpan<byte> key, TState state, SkvValueReader<TState, TResult> reader,
        [MaybeNullWhen(false)] out TResult result)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var s = AcquireState();
        try { return s.TryRead(key, state, reader, out result); }
        finally { s.File.Release(); }
    }

    /// <summary>The value of a key; throws <see cref="SkvKeyNotFoundException"/> when missing.</summary>
    public byte[] Get(ReadOnlySpan<byte> key) =>
        TryGet(key, out var value) ? value : throw new SkvKeyNotFoundException(key);

    public byte[]? GetOrDefault(ReadOnlySpan<byte> key) => TryGet(key, out var value) ? value : null;

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _state.ContainsKey(key);
    }

    public bool TryGet(string key, [NotNullWhen(true)] out string? value)
    {
        if (TryGet(Utf8(key), out byte[]? bytes))
        {
            value = Encoding.UTF8.GetString(bytes);
            return true;
        }
        value = null;
        return false;
    }

    public byte[] Get(string key) => Get(Utf8(key));
    public string GetString(string key) => Encoding.UTF8.GetString(Get(Utf8(key)));
    public string? GetStringOrDefault(string key) => TryGet(key, out string? value) ? value : null;
    public bool ContainsKey(string key) => ContainsKey(Utf8(key));

    /// <summary>Every key in unsigned byte order.</summary>
    public IEnumerable<SkvEntry> Scan() => ScanCore(null, null);

    /// <summary>Keys that start with <paramref name="prefix"/>, in order. O(log n + matches).</summary>
    public IEnumerable<SkvEntry> ScanPrefix(ReadOnlySpan<byte> prefix)
    {
        var (from, to) = KeyIndex.PrefixBounds(prefix);
        return ScanCore(from, to);
    }

    public IEnumerable<SkvEntry> ScanPrefix(string prefix) => ScanPrefix(Utf8(prefix));

    /// <summary>The [from, to) range holding exactly the keys that start with <paramref name="prefix"/>, as ScanRange takes it.</summary>
    public static (byte[]? From, byte[]? To) PrefixRange(ReadOnlySpan<byte> prefix) => KeyIndex.PrefixBounds(prefix);

    /// <summary>Keys in [<paramref name="fromInclusive"/>, <paramref name="toExclusive"/>); null means unbounded.</summary>
    public IEnumerable<SkvEntry> ScanRange(byte[]? fromInclusive, byte[]? toExclusive) => ScanCore(fromInclusive, toExclusive);

    // a scan is a snapshot for as long as it is enumerated: one consistent version, its file pinned
    private IEnumerable<SkvEntry> ScanCore(byte[]? from, byte[]? to)
    {
        using var snapshot = GetSnapshot();
        foreach (var entry in snapshot.ScanRange(from, to)) yield return entry;
    }

    /// <summary>A point-in-time, read-only view that later writes and compactions do not change. Dispose it.</summary>
    public SkvSnapshot GetSnapshot() => new(AcquireState());

    public SkvStats GetStats()
    {
        var s = _state;
        return new SkvStats(s.Count, s.FileRecords - s.Count, s.File.AppendEnd, s.LiveBytes, RecordFormat.FormatVersion);
    }

    internal static byte[] Utf8(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Encoding.UTF8.GetBytes(s);
    }

    public void Dispose()
    {
        if (_transactionThread == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException("this thread has a transaction open on the store: commit or dispose it before disposing the store");
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _writeLock.Wait();
        try
        {
            if (!IsReadOnly) _state.File.SyncToDisk();
        }
        finally
        {
            _state.File.Release();
            _lockFile?.Dispose();
            _writeLock.Release();
        }
    }

    public override string ToString() => $"SkvStore({FilePath}, {Count} keys{(IsReadOnly ? ", read-only" : "")})";
}
