using System.Globalization;

namespace Spindle.Jobs;

/// <summary>One reading of what --memfree, --load and --noswap look at, from /proc.</summary>
internal readonly record struct MachineState(long MemAvailable, int Runnable, long PagesSwapped)
{
    /// <summary>Reads /proc/meminfo's MemAvailable, /proc/loadavg's running processes and /proc/vmstat's pswpin + pswpout.</summary>
    public static MachineState Read()
    {
        long available = long.MaxValue;
        foreach (var line in File.ReadLines("/proc/meminfo"))
        {
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = long.Parse(line.AsSpan(13).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
                break;
            }
        }

        // The fourth field of /proc/loadavg is "running/total".
        var fields = File.ReadAllText("/proc/loadavg").Split(' ');
        var runnable = int.Parse(fields[3].AsSpan(0, fields[3].IndexOf('/')), CultureInfo.InvariantCulture);
        long swapped = 0;
        foreach (var line in File.ReadLines("/proc/vmstat"))
        {
            if (line.StartsWith("pswpin ", StringComparison.Ordinal) || line.StartsWith("pswpout ", StringComparison.Ordinal))
            {
                swapped += long.Parse(line.AsSpan(line.IndexOf(' ') + 1), CultureInfo.InvariantCulture);
            }
        }

        return new MachineState(available, runnable, swapped);
    }
}
