using System.Text;
using TypedSkv;

// Each mode prints one line per fact the parent test needs, and flushes it at once, so the parent can
// kill this process at any moment and know exactly what had been acknowledged.
var output = Console.Out;
string mode = args[0];
string path = args[1];
switch (mode)
{
    case "hold":
    {
        using var store = SkvStore.Open(path);
        if (args.Length > 2) store.Put(args[2], args[3]);
        output.WriteLine("ready");
        output.Flush();
        Console.In.ReadLine();
        return 0;
    }
    case "restore-stop":
    {
        // args: store backup before-commit|after-commit. Restores the backup (merge) into the store through the
        // restore transaction, spilling sort runs, and stops for the parent's SIGKILL: before-commit halfway through
        // the records, after-commit once the commit record is synced, when the new checkpoint is being written
        string backup = args[2];
        bool afterCommit = args[3] == "after-commit";
        var seam = new TypedSkv.Storage.FileSeam();
        var progress = new StopAt(afterCommit ? long.MaxValue : 8192, output);
        if (afterCommit)
        {
            seam.Fault = (op, file, _, _) =>
            {
                // armed once the restore is under way (a background checkpoint of the open comes before it)
                if (!progress.Reported || op != TypedSkv.Storage.FileOperation.Write || !file.EndsWith(".idx.tmp", StringComparison.Ordinal)) return;
                output.WriteLine("committed");
                output.Flush();
                Thread.Sleep(Timeout.Infinite); // killed here
            };
        }
        using var store = SkvStore.Open(path, new SkvOptions { CheckpointThreshold = 200, RestoreSortBufferBytes = 4096, Seam = seam });
        store.Restore(backup, new RestoreOptions { Progress = progress });
        output.WriteLine("done");
        return 0;
    }
    case "hold-tx":
    {
        // a transaction left open with about 1 MB in it: more than the write buffer, so its records reach the file
        using var store = SkvStore.Open(path);
        using var tx = store.BeginTransaction();
        string big = new('t', 4096);
        for (int i = 0; i < 256; i++) tx.Put($"tx{i:D4}", big);
        output.WriteLine("ready");
        output.Flush();
        Console.In.ReadLine();
        return 0;
    }
    case "try-open":
        try
        {
            using var store = SkvStore.Open(path);
            output.WriteLine("opened");
            return 0;
        }
        catch (SkvLockedException ex)
        {
            output.WriteLine("locked: " + ex.Message);
            return 3;
        }
    case "read":
    {
        using var store = SkvStore.OpenReadOnly(path);
        output.WriteLine(store.TryGet(args[2], out string? value) ? "value=" + value : "missing");
        output.WriteLine("count=" + store.Count);
        return 0;
    }
    case "batches":
    {
        // batch i puts keys b{i}-0..b{i}-{n-1} (value = i) and deletes the previous batch's keys
        int perBatch = int.Parse(args[2]);
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        for (int i = 0; ; i++)
        {
            var batch = new SkvWriteBatch();
            for (int k = 0; k < perBatch; k++) batch.Put($"b{i}-{k}", new string((char)('a' + i % 26), 50 + k));
            if (i > 0) for (int k = 0; k < perBatch; k++) batch.Delete($"b{i - 1}-{k}");
            batch.Put("last", i.ToString());
            store.Write(batch);
            output.WriteLine("committed " + i);
            output.Flush();
        }
    }
    case "puts":
    {
        // sequential durable puts; each acknowledged key is printed after Put returns
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        for (int i = 0; ; i++)
        {
            store.Put($"k{i:D8}", Encoding.UTF8.GetBytes($"v{i}"));
            output.WriteLine("acked " + i);
            output.Flush();
        }
    }
    case "compact-loop":
    {
        // rounds of durable overwrites, each acknowledged, then a compaction; killed at a random moment
        int keys = int.Parse(args[2]);
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        for (int round = 0; ; round++)
        {
            var batch = new SkvWriteBatch();
            for (int k = 0; k < keys; k++) batch.Put($"key{k:D5}", $"key{k:D5}:round{round}:" + new string('x', k % 200));
            store.Write(batch);
            output.WriteLine("acked " + round);
            output.Flush();
            store.Compact();
            output.WriteLine("compacted " + round);
            output.Flush();
        }
    }
    case "restore-loop":
    {
        // alternately replaces the store's contents with backup A and backup B until killed
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        for (int round = 0; ; round++)
        {
            store.Restore(args[2 + round % 2], new RestoreOptions { Mode = RestoreMode.Replace });
            output.WriteLine("restored " + round);
            output.Flush();
        }
    }
    case "backup-loop":
    {
        using var store = SkvStore.OpenReadOnly(path);
        for (int round = 0; ; round++)
        {
            store.Backup(args[2]);
            output.WriteLine("backed-up " + round);
            output.Flush();
        }
    }
    case "puts-checkpointing":
    {
        // durable puts with an index checkpoint every 300 keys, so a kill often lands inside a checkpoint write
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync, CheckpointThreshold = 300 });
        for (int i = 0; ; i++)
        {
            store.Put($"k{i:D8}", Encoding.UTF8.GetBytes($"v{i}"));
            output.WriteLine("acked " + i);
            output.Flush();
        }
    }
    case "probe":
    {
        // runs a list of operations on a Fsync store and prints one line per operation: "<op><i> ok" or
        // "<op><i> fail <ExceptionType>: <message>"; the parent runs this under strace with injected failures
        using var store = SkvStore.Open(path, new SkvOptions { Durability = SkvDurability.Fsync });
        int i = 0;
        foreach (string op in args[2].Split(','))
        {
            string name = op.Split(':')[0] + i;
            try
            {
                switch (op.Split(':')[0])
                {
                    case "put": store.Put($"probe{i}", $"value{i}"); break;
                    case "tx":
                        using (var tx = store.BeginTransaction())
                        {
                            tx.Put($"probe{i}", $"value{i}");
                            tx.Commit();
                        }
                        break;
                    case "compact": store.Compact(); break;
                    case "backup": store.Backup(op[(op.IndexOf(':') + 1)..]); break;
                    default: throw new ArgumentException("unknown op " + op);
                }
                output.WriteLine(name + " ok");
            }
            catch (Exception ex)
            {
                output.WriteLine($"{name} fail {ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}");
            }
            output.Flush();
            i++;
        }
        try
        {
            store.Dispose();
        }
        catch (SkvException)
        {
            // a poisoned store refuses its final sync too
        }
        return 0;
    }
    case "ro-opens":
    {
        // opens the store read-only again and again for the given seconds beside a writer that commits and rolls back
        // transactions (the reliability harness), and checks that each open saw a committed state: all anchors
        // (keys no committed transaction deletes), no phantom key (written only by rolled-back transactions), the
        // pair written together by every committed transaction equal, every value naming its key
        int anchors = int.Parse(args[2]);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(double.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture));
        long opens = 0, violations = 0, falseCorruption = 0, unexpected = 0;
        string? first = null;
        void Note(ref long counter, string what) { counter++; first ??= what; }
        while (DateTime.UtcNow < until)
        {
            try
            {
                using var store = SkvStore.OpenReadOnly(path);
                opens++;
                long anchorsSeen = 0;
                string? pairA = null, pairB = null;
                foreach (var e in store.Scan())
                {
                    string key = e.KeyString, value = e.GetValueString();
                    if (key == "pair-a") pairA = value;
                    else if (key == "pair-b") pairB = value;
                    else if (key.StartsWith('a')) anchorsSeen++;
                    else if (key.StartsWith('p')) Note(ref violations, $"phantom key {key} of a rolled-back transaction");
                    if (!key.StartsWith("pair", StringComparison.Ordinal) && !value.StartsWith(key + "=", StringComparison.Ordinal))
                        Note(ref violations, $"{key} has value {value[..Math.Min(30, value.Length)]}");
                }
                if (anchorsSeen != anchors) Note(ref violations, $"saw {anchorsSeen} anchors, not {anchors}");
                if (pairA != pairB) Note(ref violations, $"pair-a {pairA} but pair-b {pairB}: a transaction seen half applied");
            }
            catch (SkvCorruptionException ex)
            {
                Note(ref falseCorruption, "false corruption: " + ex.Message);
            }
            catch (Exception ex)
            {
                Note(ref unexpected, $"{ex.GetType().Name}: {ex.Message}");
            }
        }
        output.WriteLine($"opens {opens} violations {violations} corruption {falseCorruption} unexpected {unexpected} first {first}");
        return 0;
    }
    default:
        Console.Error.WriteLine("unknown mode " + mode);
        return 2;
}

/// <summary>Stops the restore (blocks its thread until the process is killed) once it reported <c>records</c>.</summary>
sealed class StopAt(long records, TextWriter output) : IProgress<SkvBackupProgress>
{
    public volatile bool Reported;

    public void Report(SkvBackupProgress value)
    {
        Reported = true;
        if (value.Records < records) return;
        output.WriteLine("stopped at " + value.Records);
        output.Flush();
        Thread.Sleep(Timeout.Infinite);
    }
}
