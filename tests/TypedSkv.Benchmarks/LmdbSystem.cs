using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;
using LightningDB;

namespace TypedSkv.Benchmarks;

/// <summary>
/// LMDB through the LightningDB package: one environment, one unnamed database, a copy-on-write B+tree in a
/// memory map. Non-durable = MDB_NOSYNC (commits reach the OS, not the disk); durable = the default sync at commit.
/// Readers keep one read-only transaction each and renew it per read, the idiomatic fast path (MDB_NOTLS lets a
/// transaction created on one thread be used on another, one thread at a time).
/// </summary>
public sealed class LmdbSystem : IKvSystem
{
    /// <summary>Address space reserved for the map; the file grows only as pages are written.</summary>
    private const long MapSize = 256L << 30;

    private LightningEnvironment? _env;
    private LightningDatabase? _db;
    private readonly List<LightningTransaction> _readers = [];
    private readonly object _writeLock = new();
    public string Name => "LMDB";

    public LmdbSystem() => LmdbNative.EnsureResolver();

    public void Open(string dir, bool durable)
    {
        _env = new LightningEnvironment(dir, new EnvironmentConfiguration { MapSize = MapSize, MaxReaders = 64 });
        _env.Open(EnvironmentOpenFlags.NoThreadLocalStorage | (durable ? EnvironmentOpenFlags.None : EnvironmentOpenFlags.NoSync));
        using var tx = _env.BeginTransaction();
        _db = tx.OpenDatabase(configuration: new DatabaseConfiguration { Flags = DatabaseOpenFlags.Create });
        Check(tx.Commit(), "commit");
    }

    public void Close()
    {
        foreach (var r in _readers) r.Dispose();
        _readers.Clear();
        _db?.Dispose();
        _env?.Dispose();
        _db = null;
        _env = null;
    }

    public void Put(byte[] key, byte[] value)
    {
        // LMDB has one writer at a time; its own mutex would do, the lock only keeps the wrapper's state simple
        lock (_writeLock)
        {
            using var tx = _env!.BeginTransaction();
            Check(tx.Put(_db!, key, value), "put");
            Check(tx.Commit(), "commit");
        }
    }

    public void PutBatch(ReadOnlySpan<(byte[] Key, byte[] Value)> batch)
    {
        lock (_writeLock)
        {
            using var tx = _env!.BeginTransaction();
            foreach (var (k, v) in batch) Check(tx.Put(_db!, k, v), "put");
            Check(tx.Commit(), "commit");
        }
    }

    public byte[]? Get(byte[] key)
    {
        using var tx = _env!.BeginTransaction(TransactionBeginFlags.ReadOnly);
        var (rc, _, value) = tx.Get(_db!, key);
        return rc == MDBResultCode.Success ? value.CopyToNewArray() : null;
    }

    public Func<byte[], byte[]?> ReaderForThread()
    {
        var tx = _env!.BeginTransaction(TransactionBeginFlags.ReadOnly);
        tx.Reset();
        _readers.Add(tx);
        var db = _db!;
        return key =>
        {
            Check(tx.Renew(), "renew");
            try
            {
                var (rc, _, value) = tx.Get(db, key);
                return rc == MDBResultCode.Success ? value.CopyToNewArray() : null;
            }
            finally { tx.Reset(); }
        };
    }

    public int CountPrefix(byte[] prefix, int limit)
    {
        using var tx = _env!.BeginTransaction(TransactionBeginFlags.ReadOnly);
        using var cursor = tx.CreateCursor(_db!);
        int n = 0;
        if (cursor.SetRange(prefix) != MDBResultCode.Success) return 0;
        for (var (rc, k, v) = cursor.GetCurrent(); rc == MDBResultCode.Success && n < limit; (rc, k, v) = cursor.Next())
        {
            if (!k.AsSpan().StartsWith(prefix)) break;
            _ = v.CopyToNewArray();
            n++;
        }
        return n;
    }

    public long ScanAllBytes()
    {
        using var tx = _env!.BeginTransaction(TransactionBeginFlags.ReadOnly);
        using var cursor = tx.CreateCursor(_db!);
        long b = 0;
        for (var (rc, k, v) = cursor.First(); rc == MDBResultCode.Success; (rc, k, v) = cursor.Next())
            b += k.CopyToNewArray().Length + v.CopyToNewArray().Length;
        return b;
    }

    private static void Check(MDBResultCode rc, string what)
    {
        if (rc != MDBResultCode.Success) throw new InvalidOperationException($"LMDB {what}: {rc}");
    }

    public void Dispose() => Close();
}

/// <summary>
/// Finds a liblmdb this machine can load. The package's own liblmdb.so needs glibc 2.38 (it imports
/// __isoc23_strtol); Debian 12 has 2.36, so there the benchmark uses Debian's liblmdb0 (LMDB 0.9.x, the same file
/// format and API for what is used here), installing it with apt-get when it is missing and we are root.
/// </summary>
public static class LmdbNative
{
    private const string DebianLibrary = "liblmdb.so.0";
    private static readonly object Gate = new();
    private static bool _installed;
    private static IntPtr _handle;

    /// <summary>Which library was loaded, for the table's header.</summary>
    public static string Loaded { get; private set; } = "not loaded";

    public static void EnsureResolver()
    {
        lock (Gate)
        {
            if (_installed) return;
            NativeLibrary.SetDllImportResolver(typeof(LightningEnvironment).Assembly, Resolve);
            _installed = true;
        }
    }

    /// <summary>The library this process loads for LightningDB and its own version string (mdb_version).</summary>
    public static string Describe()
    {
        EnsureResolver();
        IntPtr handle = Resolve("lmdb", typeof(LightningEnvironment).Assembly, null);
        if (handle == IntPtr.Zero) return "the package's own";
        var version = Marshal.GetDelegateForFunctionPointer<MdbVersion>(NativeLibrary.GetExport(handle, "mdb_version"));
        return $"{Loaded} ({Marshal.PtrToStringAnsi(version(out _, out _, out _))})";
    }

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate IntPtr MdbVersion(out int major, out int minor, out int patch);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != "lmdb") return IntPtr.Zero;
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return _handle;
            string bundled = Path.Combine(AppContext.BaseDirectory, "runtimes", RuntimeInformation.RuntimeIdentifier, "native", "liblmdb.so");
            if (NativeLibrary.TryLoad(bundled, out _handle)) { Loaded = "bundled " + Path.GetFileName(bundled); return _handle; }
            if (!OperatingSystem.IsLinux()) return IntPtr.Zero; // elsewhere the package's own library resolves normally
            if (!NativeLibrary.TryLoad(DebianLibrary, out _handle))
            {
                InstallDebianPackage();
                if (!NativeLibrary.TryLoad(DebianLibrary, out _handle))
                    throw new DllNotFoundException("LMDB: neither the LightningDB package's liblmdb.so (needs glibc 2.38) nor "
                        + $"{DebianLibrary} could be loaded; install Debian's package: apt-get install -y liblmdb0");
            }
            Loaded = "system " + DebianLibrary;
            return _handle;
        }
    }

    /// <summary>apt-get install -y liblmdb0 (after an apt-get update if the first try fails); root only.</summary>
    private static void InstallDebianPackage()
    {
        if (!File.Exists("/usr/bin/apt-get") || Environment.UserName != "root") return;
        Console.Error.WriteLine("LMDB: liblmdb.so.0 missing, running apt-get install -y liblmdb0");
        if (Run("apt-get", "install", "-y", "-q", "liblmdb0") == 0) return;
        Run("apt-get", "update", "-q");
        Run("apt-get", "install", "-y", "-q", "liblmdb0");
    }

    private static int Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) Console.Error.WriteLine(output);
        return p.ExitCode;
    }
}
