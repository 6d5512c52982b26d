using System.IO.Hashing;

namespace TypedSkv.Backup;

/// <summary>
/// Verify: reads a backup like a restore would, but reports problems instead of throwing (only I/O errors
/// throw). With a store, the records' keys are looked up in a snapshot of the store in batches
/// (<see cref="StoreLookups"/>: one <see cref="ISkvReader.GetManyAsync"/> in flight while the next batch is read, so a
/// server backend costs a round trip per batch, not per record).
/// A file in strictly increasing key order (every backup this library writes) is read first in the ordered pass, which
/// keeps nothing per record: a duplicate would break the order, and the store keys the backup lacks ("extra") come
/// from a merge of the store's key-ordered scan with the backup's keys as they arrive. At the first key out of order
/// (or a "prefix" that turns up after the records) the file is read again in the keyed pass, the only one for a stream
/// read once and for a server backend: duplicate keys are found with a set of 64-bit XXH3 key hashes (about 20 bytes
/// per record; a hash collision could hide a duplicate with probability ~n²/2⁶⁵) and store keys whose hash is not in
/// the set are extra. Both passes give the same report.
/// </summary>
internal static class BackupVerifier
{
    private enum Outcome : byte { Matching, Missing, Different }

    public static VerifyReport Verify(string path, ISkvStorage? store, VerifyOptions? options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new VerifyOptions();
        string fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath)) throw new FileNotFoundException($"backup file not found: {fullPath}", fullPath);
        // a pipe or device is read once: it cannot be read again when its keys turn out to be out of order
        bool ordered = (store is null or SkvStore) && !BackupFiles.IsSpecialFile(fullPath);
        return Opened(fullPath, () => BackupFiles.OpenRead(fullPath, options.Gzip, options.Encryption), store, options, ordered);
    }

    /// <summary>From a stream read once (stdin, a pipe); <paramref name="name"/> is what the report calls it.</summary>
    public static VerifyReport Verify(Stream input, string name, ISkvStorage? store, VerifyOptions? options)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new VerifyOptions();
        return Opened(name, () => BackupFiles.OpenRead(input, options.Gzip, leaveOpen: true, name, options.Encryption), store, options, ordered: false);
    }

    /// <summary>The ordered pass first when <c>ordered</c> (the file can be opened again), else or after it the keyed pass.</summary>
    private static VerifyReport Opened(string fullPath, Func<(CountingStream File, Stream Json)> open, ISkvStorage? store, VerifyOptions options, bool ordered)
    {
        if (ordered)
        {
            try
            {
                return Pass(fullPath, open, store, options, ordered: true);
            }
            catch (KeysOutOfOrder)
            {
            }
        }
        return Pass(fullPath, open, store, options, ordered: false);
    }

    private static VerifyReport Pass(string fullPath, Func<(CountingStream File, Stream Json)> open, ISkvStorage? store, VerifyOptions options, bool ordered)
    {
        (CountingStream File, Stream Json) opened;
        try
        {
            opened = open();
        }
        catch (SkvBackupException ex)
        {
            // wrong passphrase, damaged encryption header: a report, like any other damage
            return new VerifyReport
            {
                Ok = false,
                Path = fullPath,
                Bytes = File.Exists(fullPath) ? new FileInfo(fullPath).Length : 0,
                Encrypted = true,
                Problems = [new VerifyProblem(null, null, ex.Problem)],
                ProblemCount = 1,
            };
        }
        return Verify(fullPath, opened, store, options, ordered ? new KeyOrder() : null);
    }

    // order: the ordered pass, which throws KeysOutOfOrder where it cannot go on; null: the keyed pass
    private static VerifyReport Verify(string fullPath, (CountingStream File, Stream Json) opened, ISkvStorage? store, VerifyOptions options, KeyOrder? order)
    {
        var problems = new List<VerifyProblem>();
        long problemCount = 0;
        void Add(long? index, string? key, string message)
        {
            problemCount++;
            if (problems.Count < options.MaxProblems) problems.Add(new VerifyProblem(index, key, message));
        }

        var keyHashes = order is null ? new HashSet<ulong>() : null;
        long distinctKeys = 0;
        // only keys whose comparison failed are remembered (with the record that decided it), so that a later
        // duplicate (which a restore would keep) can correct them; their messages are listed at the end. The ordered
        // pass has no duplicates, so each outcome is final: it only counts them
        var failed = new Dictionary<ulong, (Outcome Outcome, long Index)>();
        long orderedMissing = 0, orderedDifferent = 0;
        var comparisonDetails = new List<(ulong Hash, VerifyProblem Problem)>();
        long duplicates = 0, text = 0, base64 = 0;
        bool fatal = false;
        using var snapshot = store?.OpenWholeStoreView();
        // the ordered pass's merge with the store's keys (under the prefix compared), opened at the first record
        using var extras = snapshot is null || order is null ? null : new ExtraKeys(snapshot, options.MaxProblems);
        // the outcome of each record's lookup, applied in record order (a later duplicate corrects an earlier one)
        using var lookups = snapshot is null ? null : new StoreLookups(snapshot, (index, h, key, backupValue, stored) =>
        {
            Outcome outcome = stored is null ? Outcome.Missing : stored.AsSpan().SequenceEqual(backupValue) ? Outcome.Matching : Outcome.Different;
            if (outcome == Outcome.Matching) failed.Remove(h);
            else
            {
                if (order is null) failed[h] = (outcome, index);
                else if (outcome == Outcome.Missing) orderedMissing++;
                else orderedDifferent++;
                if (comparisonDetails.Count < options.MaxProblems)
                    comparisonDetails.Add((h, new VerifyProblem(index, KeyFormatter.Describe(key),
                        outcome == Outcome.Missing ? "missing in the store" : $"value differs from the store ({stored!.Length} bytes in the store, {backupValue.Length} in the backup)")));
            }
        });

        var (file, json) = opened;
        using var _ = file;
        using var __ = json;
        using var reader = new BackupReader(fullPath, json, maxValueBytes: options.MaxValueBytes);
        try
        {
            while (reader.Next())
            {
                if (options.Progress is not null && reader.Records % BackupFormat.ProgressInterval == 0)
                    options.Progress.Report(new SkvBackupProgress(reader.Records, reader.BytesRead, reader.DeclaredRecords));
                if (reader.RecordProblem is { } problem)
                {
                    Add(reader.RecordIndex, null, problem);
                    continue;
                }
                if (reader.ValueIsText) text++; else base64++;
                ReadOnlySpan<byte> key = reader.Key;
                ulong h = XxHash3.HashToUInt64(key);
                if (order is not null && !order.Next(key)) throw new KeysOutOfOrder();
                if (keyHashes is not null && !keyHashes.Add(h))
                {
                    duplicates++;
                    Add(reader.RecordIndex, KeyFormatter.Describe(key), "duplicate key (a restore keeps the last occurrence)");
                }
                else distinctKeys++;
                if (extras is { Started: false }) extras.Start(ComparedPrefix(options, reader));
                extras?.Next(key);
                lookups?.Add(reader.RecordIndex, h, key, reader.Value);
            }
            lookups?.Finish();
            if (GzipEndCheck.IsTruncated(json)) Add(null, null, GzipEndCheck.Of(json)!.Problem);
            foreach (string p in reader.FileProblems) Add(null, null, p);
            if (reader.PrefixProblem is { } prefixProblem) Add(null, null, prefixProblem);
        }
        catch (SkvBackupException ex)
        {
            fatal = true;
            // the JSON broke off because the gzip did: say the cause first
            string cause = GzipEndCheck.IsTruncated(json) ? GzipEndCheck.Of(json)!.Problem + "; " : "";
            Add(ex.RecordIndex, null, cause + ex.Problem + (ex.ByteOffset is { } o ? $" (near byte {o})" : ""));
        }

        StoreComparison? comparison = null;
        if (snapshot is not null && !fatal)
        {
            long missing = order is null ? failed.Values.Count(o => o.Outcome == Outcome.Missing) : orderedMissing;
            long different = order is null ? failed.Count - missing : orderedDifferent;
            problemCount += missing + different;
            foreach (var (h, problem) in comparisonDetails)
            {
                if (problems.Count < options.MaxProblems && (order is not null || failed.TryGetValue(h, out var f) && f.Index == problem.RecordIndex))
                    problems.Add(problem);
            }
            long extra = 0;
            byte[] prefix = ComparedPrefix(options, reader);
            if (extras is not null)
            {
                extras.Finish(prefix);
                extra = extras.Count;
                problemCount += extra;
                foreach (string described in extras.Described)
                    if (problems.Count < options.MaxProblems) problems.Add(new VerifyProblem(null, described, ExtraProblem));
            }
            else
            {
                foreach (var entry in snapshot.ScanPrefix(prefix))
                {
                    if (keyHashes!.Contains(XxHash3.HashToUInt64(entry.Key.Span))) continue;
                    extra++;
                    Add(null, KeyFormatter.Describe(entry.Key.Span), ExtraProblem);
                }
            }
            comparison = new StoreComparison(missing, extra, different, distinctKeys - missing - different);
        }

        return new VerifyReport
        {
            Ok = problemCount == 0,
            Path = fullPath,
            Version = reader.Version,
            Format = reader.Format,
            CreatedAt = reader.CreatedAt,
            Records = reader.Records,
            DeclaredRecords = reader.DeclaredRecords,
            TextRecords = text,
            Base64Records = base64,
            DuplicateKeys = duplicates,
            Bytes = file.SourceBytes,
            Encrypted = json is LayeredStream { Encrypted: true },
            Compression = (json as LayeredStream)?.Compression ?? "none",
            HasChecksum = reader.HasChecksum,
            ChecksumValid = reader.ChecksumValid,
            Problems = problems,
            ProblemCount = problemCount,
            Comparison = comparison,
            KeyedPass = order is null,
            Prefix = reader.Prefix is { } backupPrefix
                ? System.Text.Unicode.Utf8.IsValid(backupPrefix) ? System.Text.Encoding.UTF8.GetString(backupPrefix) : "base64:" + Convert.ToBase64String(backupPrefix)
                : null,
        };
    }

    private const string ExtraProblem = "in the store but not in the backup";

    /// <summary>A partial backup is compared with its own prefix of the store unless the caller names one.</summary>
    private static byte[] ComparedPrefix(VerifyOptions options, BackupReader reader) =>
        options.GetPrefix() is { Length: > 0 } given ? given : reader.Prefix ?? [];

    /// <summary>
    /// The ordered pass's "extra" keys: the store's keys under the compared prefix, in key order, merged with the
    /// backup's keys (strictly increasing): a store key passed over by the next backup key is not in the backup.
    /// Keeps the descriptions of the first <c>maxDescribed</c> alone.
    /// </summary>
    private sealed class ExtraKeys(ISkvReadView view, int maxDescribed) : IDisposable
    {
        private IEnumerator<SkvEntry>? _scan;
        private byte[]? _prefix;
        private bool _more;

        public long Count { get; private set; }
        public List<string> Described { get; } = [];

        public bool Started => _prefix is not null;

        /// <summary>A backup key, in order: the store keys before it are extra, an equal one is in the backup.</summary>
        public void Next(ReadOnlySpan<byte> backupKey)
        {
            while (_more && _scan!.Current.Key.Span.SequenceCompareTo(backupKey) < 0) Extra();
            if (_more && _scan!.Current.Key.Span.SequenceEqual(backupKey)) _more = _scan.MoveNext();
        }

        /// <summary>After the last record: the store keys left are extra.</summary>
        public void Finish(byte[] prefix)
        {
            // a "prefix" member after the records: the keys already merged were compared with another range
            if (Started && !_prefix.AsSpan().SequenceEqual(prefix)) throw new KeysOutOfOrder();
            if (!Started) Start(prefix);
            while (_more) Extra();
        }

        /// <summary>At the first record (or at the end of a file without records), with the prefix compared.</summary>
        public void Start(byte[] prefix)
        {
            _prefix = prefix;
            _scan = view.ScanPrefix(prefix).GetEnumerator();
            _more = _scan.MoveNext();
        }

        private void Extra()
        {
            Count++;
            if (Described.Count < maxDescribed) Described.Add(KeyFormatter.Describe(_scan!.Current.Key.Span));
            _more = _scan!.MoveNext();
        }

        public void Dispose() => _scan?.Dispose();
    }

    /// <summary>
    /// Looks the backup's records up in the store in batches of up to <see cref="BatchRecords"/> records or
    /// <see cref="BatchBytes"/> bytes of backup values (memory stays bounded whatever the value sizes: two batches at most):
    /// a full batch's lookup is sent and the next one is filled while it is under way.
    /// </summary>
    private sealed class StoreLookups(ISkvReadView view, StoreLookups.Compare compare) : IDisposable
    {
        public delegate void Compare(long recordIndex, ulong keyHash, byte[] key, byte[] backupValue, byte[]? stored);

        internal const int BatchRecords = 1024;
        internal const int BatchBytes = 4 << 20;
        private Batch _filling = new();
        private (Batch Batch, ValueTask<byte[]?[]> Values)? _inFlight;

        private sealed class Batch
        {
            public readonly List<long> Indexes = [];
            public readonly List<ulong> Hashes = [];
            public readonly List<byte[]> Keys = [];
            public readonly List<byte[]> Values = [];
            public long Bytes;
        }

        public void Add(long recordIndex, ulong keyHash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
        {
            _filling.Indexes.Add(recordIndex);
            _filling.Hashes.Add(keyHash);
            _filling.Keys.Add(key.ToArray());
            _filling.Values.Add(value.ToArray());
            _filling.Bytes += key.Length + value.Length;
            if (_filling.Keys.Count >= BatchRecords || _filling.Bytes >= BatchBytes) Send();
        }

        /// <summary>Compares every record added so far.</summary>
        public void Finish()
        {
            Send();
            Complete();
        }

        private void Send()
        {
            Complete();
            if (_filling.Keys.Count == 0) return;
            _inFlight = (_filling, view.GetManyAsync(_filling.Keys));
            _filling = new Batch();
        }

        private void Complete()
        {
            if (_inFlight is not { } sent) return;
            _inFlight = null;
            byte[]?[] stored = sent.Values.IsCompleted ? sent.Values.Result : sent.Values.AsTask().GetAwaiter().GetResult();
            var b = sent.Batch;
            for (int i = 0; i < b.Keys.Count; i++) compare(b.Indexes[i], b.Hashes[i], b.Keys[i], b.Values[i], stored[i]);
        }

        public void Dispose()
        {
            // a verify that stopped early (damaged file) still observes the lookup under way
            if (_inFlight is { } sent) _ = sent.Values.AsTask().ContinueWith(t => _ = t.Exception, TaskScheduler.Default);
            _inFlight = null;
        }
    }
}
