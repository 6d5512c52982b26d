// Measures backup/restore against bare Utf8JsonWriter / Utf8JsonReader loops over the same records.
// One measurement per process, so that the peak RSS (VmHWM) belongs to that measurement alone.
//   gen <dir> <records> <valueBytes> [binary|hash]   create <dir>/store.skv (hash: 16-char hex-hash keys in random
//                                                   order and random bytes, as tests/TypedSkv.Benchmarks writes)
//   backup <dir> | bare-write <dir>             store.skv -> backup.json / bare.json
//   restore <dir> | bare-read <dir> | bare-read-put <dir>
using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using TypedSkv;

string cmd = args[0];
string dir = args[1];
string storePath = Path.Combine(dir, "store.skv");
string backupPath = Path.Combine(dir, "backup.json");
string barePath = Path.Combine(dir, "bare.json");

switch (cmd)
{
    case "gen":
    {
        Directory.CreateDirectory(dir);
        long n = long.Parse(args[2]);
        int size = int.Parse(args[3]);
        bool binary = args.Length > 4 && args[4] is "binary" or "hash";
        bool hashKeys = args.Length > 4 && args[4] == "hash";
        foreach (var f in Directory.GetFiles(dir)) File.Delete(f);
        using var store = SkvStore.Open(storePath, new SkvOptions { Durability = SkvDurability.None, WriteBufferSize = 1 << 20 });
        var rng = new Random(42);
        byte[] value = new byte[size];
        const string alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ,.-_";
        for (long i = 0; i < n;)
        {
            using var tx = store.BeginTransaction();
            for (int j = 0; j < 10_000 && i < n; j++, i++)
            {
                if (binary) rng.NextBytes(value);
                else for (int k = 0; k < size; k++) value[k] = (byte)alphabet[rng.Next(alphabet.Length)];
                tx.Put(hashKeys ? System.Text.Encoding.UTF8.GetBytes(Mix((ulong)i).ToString("x16")) : System.Text.Encoding.UTF8.GetBytes($"key:{i:D10}"), value);
            }
            tx.Commit();
        }
        store.Flush();
        Console.WriteLine($"gen: {n} records x {size} bytes ({(binary ? "binary" : "text")}), store file {new FileInfo(storePath).Length / 1e6:F0} MB");
        break;
    }
    case "backup":
    {
        using var store = SkvStore.OpenReadOnly(storePath);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = store.Backup(backupPath, new BackupOptions { Indented = args.Length > 2 && args[2] == "indented" });
        Report("backup", r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "backup-gz":
    {
        using var store = SkvStore.OpenReadOnly(storePath);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = store.Backup(backupPath + ".gz", new BackupOptions { Indented = false });
        Report("backup-gz", r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "backup-zst":
    case "backup-enc":
    {
        // backup-enc: zstd inside the encryption envelope (PBKDF2 600k included in the time)
        using var store = SkvStore.OpenReadOnly(storePath);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = store.Backup(backupPath + (cmd == "backup-enc" ? ".zst.enc" : ".zst"), new BackupOptions
        {
            Zstd = true,
            Indented = false, // the same JSON as "backup" (compact), so the sizes compare
            Encryption = cmd == "backup-enc" ? BackupEncryption.FromPassphrase("bench passphrase") : null,
        });
        Report(cmd, r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "restore-gz":
    case "restore-zst":
    case "restore-enc":
    {
        string source = backupPath + cmd switch { "restore-gz" => ".gz", "restore-zst" => ".zst", _ => ".zst.enc" };
        string target = Path.Combine(dir, "restored.skv");
        File.Delete(target);
        using var store = SkvStore.Open(target);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = store.Restore(source, new RestoreOptions { Encryption = cmd == "restore-enc" ? BackupEncryption.FromPassphrase("bench passphrase") : null });
        Report(cmd, new FileInfo(backupPath).Exists ? new FileInfo(backupPath).Length : r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "verify":
    case "verify-store":
    {
        using var store = SkvStore.OpenReadOnly(storePath);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = cmd == "verify" ? SkvBackup.Verify(backupPath) : SkvBackup.Verify(backupPath, store);
        if (!r.Ok) throw new Exception(r.ToString());
        Report(cmd, r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "bare-write":
    {
        using var store = SkvStore.OpenReadOnly(storePath);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        long records = 0;
        using (var snapshot = store.GetSnapshot())
        using (var fs = new FileStream(barePath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
        {
            using (var w = new Utf8JsonWriter(fs, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
            {
                w.WriteStartObject();
                w.WriteString("version", "1.0");
                w.WriteNumber("total_records", snapshot.Count);
                w.WriteStartArray("records");
                foreach (var e in snapshot.Scan())
                {
                    w.WriteStartObject();
                    w.WriteString("key", e.Key.Span);
                    w.WriteString("value", e.GetValue());
                    w.WriteString("encoding", "text"u8);
                    w.WriteEndObject();
                    records++;
                    if (w.BytesPending > 1 << 16) w.Flush();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            fs.Flush(true);
        }
        Report("bare-write", new FileInfo(barePath).Length, records, sw.Elapsed, baseRss);
        break;
    }
    case "restore":
    case "restore-dry":
    {
        string target = Path.Combine(dir, "restored.skv");
        File.Delete(target);
        using var store = SkvStore.Open(target);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        var r = store.Restore(backupPath, new RestoreOptions { DryRun = cmd == "restore-dry" });
        Report(cmd, r.Bytes, r.Records, sw.Elapsed, baseRss);
        break;
    }
    case "bare-read":
    case "bare-read-put":
    {
        string target = Path.Combine(dir, "bare-restored.skv");
        File.Delete(target);
        using var store = SkvStore.Open(target);
        long baseRss = Rss();
        var sw = Stopwatch.StartNew();
        long records = BareRead(backupPath, cmd == "bare-read-put" ? store : null);
        Report(cmd, new FileInfo(backupPath).Length, records, sw.Elapsed, baseRss);
        break;
    }
    case "tokens":
    {
        // parser internals: token pull alone, and the record reader without the store
        var sw = Stopwatch.StartNew();
        long tokens = 0;
        using (var fs = new FileStream(backupPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0))
        using (var src = new TypedSkv.Backup.JsonTokenSource(fs))
            while (src.Read()) tokens++;
        Console.WriteLine($"token source: {tokens} tokens {sw.Elapsed.TotalSeconds:F2} s");
        sw.Restart();
        long records = 0;
        using (var fs = new FileStream(backupPath, FileMode.Open, FileAccess.Read, FileShare.Read, 0))
        using (var rd = new TypedSkv.Backup.BackupReader(backupPath, fs))
            while (rd.Next()) records++;
        Console.WriteLine($"record reader: {records} records {sw.Elapsed.TotalSeconds:F2} s");
        break;
    }
    case "hash":
    {
        byte[] v = new byte[1000]; new Random(1).NextBytes(v);
        byte[] k = new byte[14];
        byte[] len = new byte[4];
        for (int round = 0; round < 2; round++)
        {
            var sw = Stopwatch.StartNew();
            var x = new System.IO.Hashing.XxHash3();
            for (int i = 0; i < 100_000; i++) { x.Append(len); x.Append(k); x.Append(len); x.Append(v); }
            Console.WriteLine($"xxh3 streaming 4 appends: {sw.Elapsed.TotalMilliseconds:F0} ms");
            sw.Restart();
            x = new System.IO.Hashing.XxHash3();
            for (int i = 0; i < 100_000; i++) { x.Append(v); }
            Console.WriteLine($"xxh3 streaming 1 append 1000B: {sw.Elapsed.TotalMilliseconds:F0} ms");
            sw.Restart();
            ulong acc = 0;
            for (int i = 0; i < 100_000; i++) { acc ^= System.IO.Hashing.XxHash3.HashToUInt64(v); }
            Console.WriteLine($"xxh3 one-shot 1000B: {sw.Elapsed.TotalMilliseconds:F0} ms {acc}");
            sw.Restart();
            var c = new System.IO.Hashing.Crc64();
            for (int i = 0; i < 100_000; i++) { c.Append(len); c.Append(k); c.Append(len); c.Append(v); }
            Console.WriteLine($"crc64 streaming 4 appends: {sw.Elapsed.TotalMilliseconds:F0} ms");
            sw.Restart();
            var c32 = new System.IO.Hashing.Crc32();
            for (int i = 0; i < 100_000; i++) { c32.Append(len); c32.Append(k); c32.Append(len); c32.Append(v); }
            Console.WriteLine($"crc32 streaming 4 appends: {sw.Elapsed.TotalMilliseconds:F0} ms");
            sw.Restart();
            var x64 = new System.IO.Hashing.XxHash64();
            for (int i = 0; i < 100_000; i++) { x64.Append(len); x64.Append(k); x64.Append(len); x64.Append(v); }
            Console.WriteLine($"xxh64 streaming 4 appends: {sw.Elapsed.TotalMilliseconds:F0} ms");
        }
        break;
    }
    default:
        throw new ArgumentException(cmd);
}

// the simplest reasonable streaming loop: refill a buffer, Utf8JsonReader with state, grab key/value strings
static long BareRead(string path, SkvStore? store)
{
    using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
    byte[] buffer = new byte[1 << 16];
    int start = 0, end = 0;
    bool eof = false;
    var state = new JsonReaderState();
    long records = 0;
    byte[] key = new byte[1024], value = new byte[1 << 16], scratch = new byte[1 << 16];
    int keyLen = 0, valueLen = 0;
    int field = 0; // 1 key, 2 value, 3 encoding
    bool base64 = false;
    SkvTransaction? tx = store?.BeginTransaction();
    while (true)
    {
        var reader = new Utf8JsonReader(buffer.AsSpan(start, end - start), eof, state);
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName when reader.CurrentDepth == 3:
                    field = reader.ValueTextEquals("key"u8) ? 1 : reader.ValueTextEquals("value"u8) ? 2 : reader.ValueTextEquals("encoding"u8) ? 3 : 0;
                    break;
                case JsonTokenType.String when reader.CurrentDepth == 3:
                    int n = reader.ValueIsEscaped ? reader.CopyString(scratch) : reader.ValueSpan.Length;
                    ReadOnlySpan<byte> s = reader.ValueIsEscaped ? scratch.AsSpan(0, n) : reader.ValueSpan;
                    if (field == 1) { s.CopyTo(key); keyLen = n; }
                    else if (field == 2) { s.CopyTo(value); valueLen = n; }
                    else if (field == 3) base64 = s.SequenceEqual("base64"u8);
                    break;
                case JsonTokenType.EndObject when reader.CurrentDepth == 2:
                    if (base64) Base64.DecodeFromUtf8InPlace(value.AsSpan(0, valueLen), out valueLen);
                    tx?.Put(key.AsSpan(0, keyLen), value.AsSpan(0, valueLen));
                    records++;
                    break;
            }
        }
        state = reader.CurrentState;
        start += (int)reader.BytesConsumed;
        if (eof) break;
        int pending = end - start;
        Buffer.BlockCopy(buffer, start, buffer, 0, pending);
        start = 0;
        end = pending;
        if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2);
        int read = fs.Read(buffer, end, buffer.Length - end);
        if (read == 0) eof = true;
        end += read;
    }
    tx?.Commit();
    tx?.Dispose();
    return records;
}

// SplitMix64's finalizer (as tests/TypedSkv.Benchmarks' BenchData): distinct i, distinct keys, spread over the key space
static ulong Mix(ulong x)
{
    x += 0x9E3779B97F4A7C15UL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
    return x ^ (x >> 31);
}

static long Rss() => ReadStatus("VmRSS:");
static long Peak() => ReadStatus("VmHWM:");
static long ReadStatus(string field)
{
    foreach (string line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith(field)) return long.Parse(line[field.Length..].Trim().Split(' ')[0]) * 1024;
    return 0;
}

static void Report(string what, long bytes, long records, TimeSpan t, long baseRss)
{
    if (Environment.GetEnvironmentVariable("SKV_BENCH_SMAPS") == "1")
    {
        // the mappings that hold most of the resident set (what a peak is made of)
        string name = "";
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            if (char.IsAsciiHexDigit(line[0]) && line.Contains('-')) name = line;
            else if (line.StartsWith("Rss:") && long.Parse(line[4..].Trim().Split(' ')[0]) > 4096) Console.WriteLine($"  {line.Trim()}  {name}");
        }
    }
    long peak = Peak();
    Console.WriteLine($"{what,-14} {records,9} records {bytes / 1e6,8:F0} MB {t.TotalSeconds,7:F2} s {bytes / 1e6 / t.TotalSeconds,7:F0} MB/s  " +
        $"RSS before {baseRss / 1048576.0,6:F1} MiB  at end anon {ReadStatus("RssAnon:") / 1048576.0:F0} MiB file {ReadStatus("RssFile:") / 1048576.0:F0} MiB  peak {peak / 1048576.0,6:F1} MiB  (+{(peak - baseRss) / 1048576.0:F1} MiB)  GC gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}");
}
