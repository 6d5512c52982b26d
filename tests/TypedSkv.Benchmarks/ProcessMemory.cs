using System.Globalization;

namespace TypedSkv.Benchmarks;

/// <summary>
/// This process's memory as Linux counts it, from /proc/self/status. RssAnon is the private memory: anonymous pages
/// (managed heap, native malloc, stacks), which no other process can share and the kernel can only swap. File pages
/// mapped from a store's files count in RssFile instead: the page cache, shared and dropped under pressure. VmHWM is
/// the peak resident set (anonymous + file + shmem) since the process started. Elsewhere than Linux: NaN.
/// </summary>
public readonly record struct ProcessMemory(double RssAnonMiB, double RssFileMiB, double PeakRssMiB)
{
    public static ProcessMemory Read()
    {
        if (!File.Exists("/proc/self/status")) return new(double.NaN, double.NaN, double.NaN);
        double anon = double.NaN, file = double.NaN, hwm = double.NaN;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("RssAnon:")) anon = KiB(line);
            else if (line.StartsWith("RssFile:")) file = KiB(line);
            else if (line.StartsWith("VmHWM:")) hwm = KiB(line);
        }
        return new(anon, file, hwm);
    }

    /// <summary>"RssAnon:	   12345 kB" -> MiB.</summary>
    private static double KiB(string line) =>
        double.Parse(line.Split(' ', '\t').Where(p => p.Length > 0).ElementAt(1), CultureInfo.InvariantCulture) / 1024;
}
