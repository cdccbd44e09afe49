using System.Globalization;

namespace Spindle.Bench.Measuring;

/// <summary>
/// CPU time and peak memory of this process and its live child processes (worker processes included), read from
/// /proc on Linux. Peaks are reset before each run by writing 5 to clear_refs, so each run reports its own peak.
/// Elsewhere only this process is measured and peaks cannot be reset.
/// </summary>
internal static class ProcessMeter
{
    // USER_HZ, the unit of utime and stime in /proc/PID/stat; 100 on every mainstream Linux build.
    private const double TicksPerSecond = 100;

    private static readonly bool s_proc = OperatingSystem.IsLinux() && File.Exists("/proc/self/status");

    /// <summary>CPU seconds used so far by this process and its live children.</summary>
    public static double CpuSeconds()
    {
        var total = Environment.CpuUsage.TotalTime.TotalSeconds;
        if (s_proc)
        {
            foreach (var child in Children())
            {
                total += ChildCpuSeconds(child);
            }
        }

        return total;
    }

    /// <summary>Resets the peak resident size of this process and its children, where the OS allows it.</summary>
    public static void ResetPeaks()
    {
        if (!s_proc)
        {
            return;
        }

        TryWrite("/proc/self/clear_refs");
        foreach (var child in Children())
        {
            TryWrite($"/proc/{child}/clear_refs");
        }
    }

    /// <summary>The peak resident bytes since the last reset: this process plus each live child.</summary>
    public static long PeakBytes()
    {
        if (!s_proc)
        {
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            return self.PeakWorkingSet64;
        }

        var total = ReadHwm("/proc/self/status");
        foreach (var child in Children())
        {
            total += ReadHwm($"/proc/{child}/status");
        }

        return total;
    }

    private static IEnumerable<int> Children()
    {
        var self = Environment.ProcessId;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), CultureInfo.InvariantCulture, out var pid) || pid == self)
            {
                continue;
            }

            var fields = ReadStat(pid);
            if (fields is not null && fields.Length > 1 && int.TryParse(fields[1], CultureInfo.InvariantCulture, out var parent) && parent == self)
            {
                yield return pid;
            }
        }
    }

    private static double ChildCpuSeconds(int pid)
    {
        // After the command name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime.
        var fields = ReadStat(pid);
        if (fields is null || fields.Length < 13)
        {
            return 0;
        }

        return (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>The fields of /proc/PID/stat after the parenthesised command name (which may contain spaces).</summary>
    private static string[]? ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var close = text.LastIndexOf(')');
            return close < 0 ? null : text[(close + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null; // The process ended while we looked.
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static long ReadHwm(string statusPath)
    {
        try
        {
            foreach (var line in File.ReadLines(statusPath))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kib = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }

    private static void TryWrite(string path)
    {
        try
        {
            File.WriteAllText(path, "5");
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
            // Without the right to reset, the peak is the process's lifetime peak; still an upper bound.
        }
    }
}
