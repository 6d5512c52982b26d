using System.Globalization;

namespace TypedSkv.Tool.Infrastructure;

public static class Sizes
{
    /// <summary>"1234 bytes" or "1.2 MiB (1234567 bytes)".</summary>
    public static string Format(long bytes)
    {
        string exact = bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
        if (bytes < 1024) return exact;
        string[] units = ["KiB", "MiB", "GiB", "TiB"];
        double v = bytes;
        int unit = -1;
        while (v >= 1024 && unit < units.Length - 1)
        {
            v /= 1024;
            unit++;
        }
        return string.Create(CultureInfo.InvariantCulture, $"{v:0.0} {units[unit]} ({exact})");
    }

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";
}
