using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Win32.SafeHandles;
using TypedSkv.Backup;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>A byte range of a damaged data file that held no record that verifies.</summary>
/// <param name="Offset">Where the damage starts.</param>
/// <param name="Length">Bytes up to the next record that verifies (or the end of the file).</param>
/// <param name="AtEnd">The range runs to the end of the file (a torn tail, or damage with nothing valid after it).</param>
public sealed record SkvDamagedRange(long Offset, long Length, bool AtEnd);

/// <summary>What <see cref="SkvSalvage.Recover"/> found and wrote.</summary>
/// <param name="Source">The damaged data file.</param>
/// <param name="Destination">The new store.</param>
/// <param name="RecordsVerified">Records in the source that passed their checksum.</param>
/// <param name="Keys">Keys written to the new store (each key's last committed state).</param>
/// <param name="DamagedRanges">Byte ranges skipped because no record in them verifies.</param>
/// <param name="DiscardedBatchRecords">Records of transactions whose commit was lost in damage (or never written): dropped, since a transaction is all or nothing.</param>
/// <param name="Duration">Wall time.</param>
public sealed record SkvRecoverResult(string Source, string Destination, long RecordsVerified, long Keys,
    IReadOnlyList<SkvDamagedRange> DamagedRanges, long DiscardedBatchRecords, TimeSpan Duration)
{
    /// <summary>Bytes of the source in damaged ranges.</summary>
    public long LostBytes => DamagedRanges.Sum(r => r.Length);

    /// <summary>Nothing was lost: every byte belonged to a record that verifies and every transaction committed.</summary>
    public bool Complete => DamagedRanges.Count == 0 && DiscardedBatchRecords == 0;
}

/// <summary>
/// Salvage of a damaged data file, the way sqlite3's <c>.recover</c> does it: every record that verifies is read,
/// damaged ranges are skipped by searching for the next record that verifies, and each key's last committed state
/// goes into a new store. The damaged file is only read (no lock, nothing repaired in place).
/// </summary>
public static class SkvSalvage
{
    /// <summary>
    /// Copies what verifies in <paramref name="damagedPath"/> into a new store at <paramref name="newPath"/>, which
    /// must not exist; it is built under a temporary name and appears only when complete. Throws
    /// <see cref="SkvFormatException"/> when the file header is not a TypedSkv header (nothing to salvage by).
    /// </summary>
    public static SkvRecoverResult Recover(string damagedPath, string newPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(damagedPath);
        ArgumentException.ThrowIfNullOrEmpty(newPath);
        var clock = Stopwatch.StartNew();
        string source = Path.GetFullPath(damagedPath);
        if (!File.Exists(source)) throw new FileNotFoundException($"store file not found: {source}", source);
        using var handle = File.OpenHandle(source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var walk = new SalvageWalk(source, handle);
        walk.Run();
        string destination = Path.GetFullPath(newPath);
        long keys = NewStoreRestorer.Restore(destination, store => walk.CopyTo(store));
        return new SkvRecoverResult(source, destination, walk.RecordsVerified, keys, walk.Damaged, walk.DiscardedBatchRecords, clock.Elapsed);
    }

    /// <summary>One pass over the file: the last committed state of every key, and the ranges that did not verify.</summary>
    private sealed class SalvageWalk(string path, SafeFileHandle handle)
    {
        private readonly long _length = RandomAccess.GetLength(handle);
        // key -> (offset, value length) of its live Put record; a Delete or Clear removes entries
        private readonly Dictionary<byte[], (long Offset, int ValueLength)> _live = new(ByteArrayComparer.Instance);
        private readonly List<SkvDamagedRange> _damaged = [];
        private readonly byte[] _header = new byte[RecordFormat.HeaderSize];

        public long RecordsVerified { get; private set; }
        public long DiscardedBatchRecords { get; private set; }
        public IReadOnlyList<SkvDamagedRange> Damaged => _damaged;

        public void Run()
        {
            if (_length < RecordFormat.FileHeaderSize)
                throw new SkvFormatException(path, $"file is {_length} bytes, too short for a TypedSkv header");
            Span<byte> fileHeader = stackalloc byte[RecordFormat.FileHeaderSize];
            RandomAccess.Read(handle, fileHeader, 0);
            if (RecordFormat.CheckFileHeader(fileHeader, out _) is { } problem && !fileHeader[..8].SequenceEqual(RecordFormat.Magic))
                throw new SkvFormatException(path, problem);
            // a damaged header (checksum, version) with the right magic: the records after it may still verify

            var batch = new List<(RecordKind Kind, byte[] Key, long Offset, int ValueLength)>();
            long pos = RecordFormat.FileHeaderSize;
            while (pos < _length)
            {
                if (!TryRead(pos, out var h))
                {
                    long next = NextValidRecord(pos + 1);
                    _damaged.Add(new SkvDamagedRange(pos, (next < 0 ? _length : next) - pos, next < 0));
                    // a transaction cut by damage is dropped whole: its commit may be what was lost
                    DiscardedBatchRecords += batch.Count;
                    batch.Clear();
                    if (next < 0) break;
                    pos = next;
                    continue;
                }
                RecordsVerified++;
                byte[] key = ReadBytes(pos + RecordFormat.HeaderSize, h.KeyLength);
                if ((h.Flags & RecordFlags.InBatch) != 0)
                {
                    batch.Add((h.Kind, key, pos, h.ValueLength));
                }
                else if (h.Kind == RecordKind.Commit)
                {
                    int count = BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(pos + RecordFormat.HeaderSize, 4));
                    if (count == batch.Count)
                        foreach (var r in batch) Apply(r.Kind, r.Key, r.Offset, r.ValueLength);
                    else
                        DiscardedBatchRecords += batch.Count;
                    batch.Clear();
                }
                else if (h.Kind == RecordKind.Abort)
                {
                    batch.Clear(); // rolled back on purpose: nothing lost
                }
                else
                {
                    // a record outside a batch while one is open: that batch never committed (cut by a crash)
                    DiscardedBatchRecords += batch.Count;
                    batch.Clear();
                    Apply(h.Kind, key, pos, h.ValueLength);
                }
                pos += h.Size;
            }
            DiscardedBatchRecords += batch.Count; // a transaction still open at the end of the file never committed
        }

        private void Apply(RecordKind kind, byte[] key, long offset, int valueLength)
        {
            switch (kind)
            {
                case RecordKind.Put: _live[key] = (offset, valueLength); break;
                case RecordKind.Delete: _live.Remove(key); break;
                case RecordKind.Clear: _live.Clear(); break;
            }
        }

        /// <summary>Writes every live key, in key order, in transactions of bounded size; returns the number of keys.</summary>
        public long CopyTo(SkvStore store)
        {
            var keys = _live.Keys.ToList();
            keys.Sort(ByteArrayComparer.Instance.Compare);
            const long BatchBytes = 64L << 20;
            long written = 0, pending = 0;
            var tx = store.BeginTransaction();
            try
            {
                foreach (byte[] key in keys)
                {
                    var (offset, valueLength) = _live[key];
                    tx.Put(key, ReadBytes(offset + RecordFormat.HeaderSize + key.Length, valueLength));
                    written++;
                    pending += valueLength + key.Length;
                    if (pending >= BatchBytes)
                    {
                        tx.Commit();
                        tx.Dispose();
                        tx = store.BeginTransaction();
                        pending = 0;
                    }
                }
                tx.Commit();
            }
            finally
            {
                tx.Dispose();
            }
            return written;
        }

        private bool TryRead(long pos, out RecordFormat.Header h)
        {
            h = default;
            if (_length - pos < RecordFormat.HeaderSize) return false;
            RandomAccess.Read(handle, _header, pos);
            h = RecordFormat.ReadHeader(_header);
            if (!RecordFormat.IsPlausible(h) || pos + h.Size > _length) return false;
            return HashBody(pos, h) == h.Hash;
        }

        private long NextValidRecord(long from)
        {
            for (long p = from; p + RecordFormat.HeaderSize <= _length; p++)
            {
                if (TryRead(p, out _)) return p;
            }
            return -1;
        }

        private ulong HashBody(long pos, in RecordFormat.Header h)
        {
            var hasher = new XxHash3(pos);
            byte[] chunk = new byte[(int)Math.Min(h.Size - 8, 1 << 20)];
            for (long done = 0, body = h.Size - 8; done < body;)
            {
                int n = (int)Math.Min(chunk.Length, body - done);
                RandomAccess.Read(handle, chunk.AsSpan(0, n), pos + 8 + done);
                hasher.Append(chunk.AsSpan(0, n));
                done += n;
            }
            return hasher.GetCurrentHashAsUInt64();
        }

        private byte[] ReadBytes(long offset, int count)
        {
            byte[] bytes = new byte[count];
            int done = 0;
            while (done < count)
            {
                int n = RandomAccess.Read(handle, bytes.AsSpan(done), offset + done);
                if (n <= 0) throw new EndOfStreamException($"{path}: the file shrank while it was read");
                done += n;
            }
            return bytes;
        }
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>, IComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => (int)XxHash3.HashToUInt64(obj);

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
