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
    /// <summary>Whether opening found a torn tail: bytes cut (ignored, read-only) or an unfinished batch dropped.</summary>
    public bool Repaired => TruncatedBytes > 0 || DiscardedBatchRecords > 0;
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
/// lock) or <see cref="OpenReadOnly(string)"/> (any number, also while another process writes).
/// </summary>
public sealed partial class SkvStore : IDisposable
{
    /// <summary>Longest key in bytes (keys are 1 to this many bytes).</summary>
    public const int MaxKeyLength = RecordFormat.MaxKeyLength;

    /// <summary>Appended to the data file's path to name the writer's lock file.</summary>
    public const string LockFileSuffix = ".lock";
    internal const string CompactSuffix = ".compact";

    private volatile StoreState _state;
    private readonly CommitPipeline _pipeline;
    private readonly FileLock? _lock;
    private readonly SkvOptions _options;
    private readonly string _realPath;
    private int _disposed;

    private SkvStore(string path, string realPath, StoreState state, FileLock? fileLock, SkvOptions options, SkvRecoveryReport recovery,
        DateTimeOffset created, int formatVersion)
    {
        FilePath = path;
        _realPath = realPath;
        _state = state;
        _lock = fileLock;
        _options = options;
        _pipeline = new CommitPipeline(path, options.Durability, options.WriteLockTimeout, Publish);
        Recovery = recovery;
        CreatedAt = created;
        FormatVersion = formatVersion;
    }

    /// <summary>The data file's path, as given to Open.</summary>
    public string FilePath { get; }

    public bool IsReadOnly => _lock is null;
    public SkvDurability Durability => _options.Durability;

    /// <summary>What opening the file repaired (torn tail, unfinished batch).</summary>
    public SkvRecoveryReport Recovery { get; }

    /// <summary>When the data file was first created.</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The data file's format version (a writable open upgrades a 0.1.0 file, version 1, to the current one).</summary>
    public int FormatVersion { get; }

    /// <summary>The current data file (fault injection in tests).</summary>
    internal DataFile CurrentFile => _state.File;

    /// <summary>Group-commit fsyncs of the current file (tests and diagnostics).</summary>
    internal long SyncCount => Interlocked.Read(ref _state.File.SyncCount);

    /// <summary>Whether the store refuses writes after a failure on the durability path (reopen it).</summary>
    public bool IsFailed => _pipeline.IsPoisoned;

    /// <summary>Number of keys.</summary>
    public long Count => _state.Count;

    // ------------------------------------------------------------------ open

    /// <summary>Opens (or creates) a store for reading and writing. Throws <see cref="SkvLockedException"/> when another writer has it.</summary>
    public static SkvStore Open(string path, SkvOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new SkvOptions();
        if (options.WriteBufferSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "WriteBufferSize must be positive");
        if (options.WriteLockTimeout < TimeSpan.Zero && options.WriteLockTimeout != Timeout.InfiniteTimeSpan)
            throw new ArgumentOutOfRangeException(nameof(options), "WriteLockTimeout must be positive or Timeout.InfiniteTimeSpan");
        if (!options.CreateIfMissing && !File.Exists(path))
            throw new FileNotFoundException($"store file not found: {path}", path);
        string? dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (dir is not null && !Directory.Exists(dir))
            throw new DirectoryNotFoundException($"directory of store file does not exist: {dir}");
        string realPath = ResolveRealPath(path);
        var seam = options.Seam ?? new FileSeam();

        var fileLock = FileLock.Acquire(path, realPath);
        SafeFileHandle? handle = null;
        try
        {
            // a compaction that crashed before its rename left only a scratch file; the data file is intact
            if (File.Exists(realPath + CompactSuffix)) File.Delete(realPath + CompactSuffix);
            handle = File.OpenHandle(realPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            var (created, version) = InitializeOrCheckHeader(realPath, handle, seam);
            long length = RandomAccess.GetLength(handle);
            var checkpoint = OpenCheckpoint(realPath, handle, length, options.UseCheckpoint, out string? checkpointNote);
            ScanResult scan;
            try
            {
                scan = LogScanner.Scan(path, handle, length, options.DropDamagedTail, start: checkpoint);
            }
            catch
            {
                checkpoint?.Release();
                throw;
            }
            // a Clear in the replayed tail dropped the checkpoint from the index: nothing refers to it any more
            if (checkpoint is not null && !ReferenceEquals(scan.Index.Base, checkpoint)) checkpoint.Release();
            if (version < RecordFormat.FormatVersion)
            {
                // 0.1.0 readers do not know Abort records: from now on they are told the version instead of misreading
                Span<byte> header = stackalloc byte[RecordFormat.FileHeaderSize];
                RecordFormat.WriteFileHeader(header, created);
                seam.Write(handle, path, header, 0);
                seam.SyncData(handle, path);
            }
            if (scan.ValidEnd < length)
            {
                // only bytes that were never a valid record are cut: the valid records of an unfinished batch stay,
                // closed by an Abort record, so that no range a reader may have read is ever given other bytes
                seam.SetLength(handle, path, scan.ValidEnd);
            }
            var file = new DataFile(path, handle, scan.ValidEnd, options.WriteBufferSize, writable: true, seam);
            long fileRecords = scan.FileRecords;
            if (scan.OpenBatchRecords > 0)
            {
                file.AppendBatchEnd(RecordKind.Abort, scan.OpenBatchRecords);
                file.FlushBuffer();
                fileRecords += scan.OpenBatchRecords + 1;
                file.CommittedEnd = file.FlushedEnd;
            }
            if (scan.ValidEnd < length || scan.OpenBatchRecords > 0)
            {
                file.SyncData();
                file.DurableEnd = file.FlushedEnd;
            }
            var state = new StoreState(scan.Index, scan.Count, file, fileRecords, scan.LiveBytes);
            var recovery = new SkvRecoveryReport(length - scan.ValidEnd, scan.OpenBatchRecords, scan.TornReason);
            var store = new SkvStore(path, realPath, state, fileLock, options, recovery, created, RecordFormat.FormatVersion)
            {
                CheckpointNote = checkpointNote,
            };
            store.AfterOpen();
            return store;
        }
        catch
        {
            handle?.Dispose();
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>The checkpoint beside the data file when it is valid for it; a replay of the log ignores it otherwise.</summary>
    private static Checkpoint? OpenCheckpoint(string realPath, SafeFileHandle handle, long length, bool use, out string? note)
    {
        if (!use)
        {
            note = "index checkpoint not used (the whole log was replayed and verified)";
            return null;
        }
        var cp = Checkpoint.TryOpen(realPath + Checkpoint.Suffix, handle, length,
            covered => LogScanner.IndexUpTo(realPath, handle, covered), out note);
        return cp;
    }

    /// <summary>
    /// Why opening did not use an index checkpoint (missing, stale, damaged, another file's), or null when it did:
    /// then only the log after the checkpoint was replayed and verified at open.
    /// </summary>
    public string? CheckpointNote { get; private init; }

    /// <summary>Whether the open used an index checkpoint (replayed only the log after it).</summary>
    public bool UsedCheckpoint => CheckpointNote is null;

    /// <summary>The path of the file itself when <paramref name="path"/> is a symlink (compaction renames over the real file).</summary>
    private static string ResolveRealPath(string path)
    {
        var info = new FileInfo(path);
        try
        {
            return info.LinkTarget is null ? info.FullName : info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
        }
        catch (IOException)
        {
            return info.FullName; // a dangling or looping link: opening it reports the problem
        }
    }

    /// <summary>
    /// Opens a store for reading only. Needs no lock, so it works while another process writes; it sees exactly
    /// the records committed before this call (a committed prefix of the log), and ignores a write in progress at
    /// the end of the file.
    /// </summary>
    public static SkvStore OpenReadOnly(string path) => OpenReadOnly(path, verifyWholeLog: false);

    /// <summary>
    /// <see cref="OpenReadOnly(string)"/>; with <paramref name="verifyWholeLog"/> the index checkpoint is ignored and
    /// every record of the log is replayed and checksummed (what <c>dotnet skv check</c> does).
    /// </summary>
    public static SkvStore OpenReadOnly(string path, bool verifyWholeLog)
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
            DateTimeOffset created = default;
            ushort version = 0;
            string? problem = null;
            // a writer upgrading a 0.1.0 header rewrites these 32 bytes in place: a torn read of them is retried
            for (int attempt = 0; attempt < 3; attempt++)
            {
                RandomAccess.Read(handle, header, 0);
                problem = RecordFormat.CheckFileHeader(header, out created, out version);
                if (problem is null) break;
            }
            if (problem is not null) throw new SkvFormatException(path, problem);
            var checkpoint = OpenCheckpoint(ResolveRealPath(path), handle, length, !verifyWholeLog, out string? note);
            ScanResult scan;
            try
            {
                scan = LogScanner.Scan(path, handle, length, concurrentWriterPossible: true, start: checkpoint);
            }
            catch
            {
                checkpoint?.Release();
                throw;
            }
            if (checkpoint is not null && !ReferenceEquals(scan.Index.Base, checkpoint)) checkpoint.Release();
            var file = new DataFile(path, handle, scan.CommittedEnd, 0, writable: false, FileSeam.Default);
            var state = new StoreState(scan.Index, scan.Count, file, scan.FileRecords, scan.LiveBytes);
            // nothing is cut (the tail may be another process's append in progress); Recovery says what was ignored
            return new SkvStore(path, path, state, null, new SkvOptions { Durability = SkvDurability.None },
                new SkvRecoveryReport(length - scan.CommittedEnd, scan.OpenBatchRecords, scan.TornReason), created, version)
            {
                CheckpointNote = note,
            };
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether a writer (in any process) holds the store open now. A torn tail seen by a read-only open is a write
    /// in progress when this is true, and damage or a crash's leftovers when it is false.
    /// </summary>
    public static bool HasActiveWriter(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            return Native.IsLockedByOther(handle);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static (DateTimeOffset Created, ushort Version) InitializeOrCheckHeader(string path, SafeFileHandle handle, FileSeam seam)
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
            seam.Write(handle, path, header, 0);
            seam.SyncData(handle, path);
            seam.SyncDirectoryOf(path);
            return (DateTimeOffset.FromUnixTimeMilliseconds(now.ToUnixTimeMilliseconds()), RecordFormat.FormatVersion);
        }
        RandomAccess.Read(handle, header, 0);
        if (RecordFormat.CheckFileHeader(header, out var created, out var version) is { } problem) throw new SkvFormatException(path, problem);
        return (created, version);
    }

    // ------------------------------------------------------------------ reads

    /// <summary>Takes the current version and pins its file against a concurrent compaction.</summary>
    private StoreState AcquireState()
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            var s = _state;
            if (s.TryPin()) return s;
        }
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        var s = AcquireState();
        try { return s.TryGet(key, out value); }
        finally { s.Unpin(); }
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
        finally { s.Unpin(); }
    }

    /// <summary>The value of a key; throws <see cref="SkvKeyNotFoundException"/> when missing.</summary>
    public byte[] Get(ReadOnlySpan<byte> key) =>
        TryGet(key, out var value) ? value : throw new SkvKeyNotFoundException(key);

    public byte[]? GetOrDefault(ReadOnlySpan<byte> key) => TryGet(key, out var value) ? value : null;

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        var s = AcquireState();
        try { return s.ContainsKey(key); }
        finally { s.Unpin(); }
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

    /// <summary>A snapshot for one pass over the whole store that keeps the process's memory bounded (see <see cref="ResidentPageBudget"/>).</summary>
    internal SkvSnapshot GetWholeStoreSnapshot() => new(AcquireState(), wholeStorePass: true);

    public SkvStats GetStats()
    {
        var s = _state;
        return new SkvStats(s.Count, s.FileRecords - s.Count, s.File.AppendEnd, s.LiveBytes, FormatVersion);
    }

    internal static byte[] Utf8(string s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Encoding.UTF8.GetBytes(s);
    }

    /// <summary>
    /// Syncs and closes the store. Refused (<see cref="InvalidOperationException"/>) while a transaction is open:
    /// commit or dispose it first. After a failure on the durability path the final sync is refused too, and the
    /// store is closed all the same.
    /// </summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _openTransaction) is not null)
            throw new InvalidOperationException("a transaction is open on the store: commit or dispose it before disposing the store");
        if (IsReadOnly)
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _state.Unpin();
            return;
        }
        if (Volatile.Read(ref _disposed) != 0) return;
        // a checkpoint being written finishes first (it needs the file); then the final one, so the next open is short.
        // Waits without the write-lock timeout: the store is marked disposed only once nobody else writes, so a
        // failed Dispose never leaves the lock and the file held
        _checkpointGate.Wait();
        _pipeline.EnterUnbounded();
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            _pipeline.Exit();
            _checkpointGate.Release();
            return;
        }
        try
        {
            _pipeline.SyncAll(_state.File);
            if (ShouldCheckpointAtClose(_state)) TryWriteCheckpointLocked();
        }
        finally
        {
            _state.Unpin();
            _lock?.Dispose();
            _pipeline.Exit();
            _checkpointGate.Release();
        }
    }

    public override string ToString() => $"SkvStore({FilePath}, {Count} keys{(IsReadOnly ? ", read-only" : "")})";
}
