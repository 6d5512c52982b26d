using System.Globalization;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// The writer lock in CLI terms: whether a writer holds a store right now (asked without taking any lock:
/// <see cref="SkvStore.HasActiveWriter"/>), which process, and the message a refused command prints.
/// </summary>
public static class WriterLock
{
    public static bool IsHeld(string db) => SkvStore.HasActiveWriter(db);

    /// <summary>
    /// The process id of the writer holding <paramref name="db"/>, when it can be found: the id written into the lock
    /// file by the writer, else (Linux) the holder of the lock file's flock in /proc/locks.
    /// </summary>
    public static int? HolderProcessId(string db)
    {
        // the side file sits beside the real data file (a symlinked store's lock is its target's)
        string real = new FileInfo(db).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? db;
        string lockPath = real + SkvStore.LockFileSuffix;
        try
        {
            using var file = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
            using var reader = new StreamReader(file);
            string text = reader.ReadToEnd();
            foreach (string token in text.Split([' ', '\n', '\r', '\t', '=', ':'], StringSplitOptions.RemoveEmptyEntries))
            {
                if (int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid > 0) return pid;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return OperatingSystem.IsLinux() ? FromProcLocks(lockPath) : null;
    }

    /// <summary>/proc/locks lines: "1: FLOCK  ADVISORY  WRITE 12345 08:01:123456 0 EOF" (major:minor in hex, inode).</summary>
    private static int? FromProcLocks(string lockPath)
    {
        if (!SkvFileIdentity.TryGet(lockPath, out var id)) return null;
        // glibc's dev_t encoding
        ulong major = ((id.Device >> 8) & 0xfff) | ((id.Device >> 32) & ~0xfffUL);
        ulong minor = (id.Device & 0xff) | ((id.Device >> 12) & ~0xffUL);
        string wanted = string.Create(CultureInfo.InvariantCulture, $"{major:x2}:{minor:x2}:{id.Inode}");
        try
        {
            foreach (string line in File.ReadLines("/proc/locks"))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // "1:" FLOCK ADVISORY WRITE pid dev:inode start end (a waiting lock has "->" after the number)
                int at = f.Length > 1 && f[1] == "->" ? 2 : 1;
                if (f.Length < at + 5 || f[at] != "FLOCK" || f[at + 2] != "WRITE") continue;
                if (f[at + 4] == wanted && int.TryParse(f[at + 3], NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) return pid;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return null;
    }

    /// <summary>The CLI's message for a store another writer holds: who, what works beside it, what to do.</summary>
    public static string LockedMessage(string db, TimeSpan? waited = null, int? holder = null)
    {
        string who = (holder ?? HolderProcessId(db)) is { } pid ? $"process {pid}" : "another process";
        string after = waited is { } w ? $" (still after waiting {w.TotalSeconds:0.#} s)" : "";
        return $"{db} is open for writing by {who}{after}. Read-only commands work beside it (info, check, get, list, " +
            "backup, verify --db, restore --dry-run); for this one stop the writer, or retry with --wait <seconds>";
    }
}
