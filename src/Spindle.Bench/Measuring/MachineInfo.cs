using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;

namespace Spindle.Bench.Measuring;

/// <summary>What the figures were measured on; the report's header.</summary>
/// <param name="Cores">Logical cores available to this process.</param>
/// <param name="MemoryBytes">Total physical memory.</param>
/// <param name="Os">The operating system and architecture.</param>
/// <param name="DotNet">The .NET runtime.</param>
/// <param name="GcMode">Workstation or server GC, concurrent or not.</param>
/// <param name="Python">The Python version, or null when Python was skipped.</param>
/// <param name="LoadAverage">The 1, 5 and 15 minute load averages when the run started (other work on the machine).</param>
public sealed record MachineInfo(int Cores, long MemoryBytes, string Os, string DotNet, string GcMode, string? Python, string LoadAverage)
{
    internal static MachineInfo Current(string? python) => new(
        Environment.ProcessorCount,
        GC.GetGCMemoryInfo().TotalAvailableMemoryBytes,
        $"{RuntimeInformation.OSDescription} {RuntimeInformation.OSArchitecture}",
        RuntimeInformation.FrameworkDescription,
        $"{(GCSettings.IsServerGC ? "server" : "workstation")}, {(AppContext.TryGetSwitch("System.GC.Concurrent", out var concurrent) && !concurrent ? "non-concurrent" : "concurrent")}",
        python,
        ReadLoadAverage());

    private static string ReadLoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return string.Join(' ', parts.Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>One line for headers: cores, memory, OS, .NET, GC mode, Python.</summary>
    public string Describe() => string.Create(
        CultureInfo.InvariantCulture,
        $"{Cores} cores, {MemoryBytes / (1024.0 * 1024 * 1024):0.#} GiB, {Os}; {DotNet}, {GcMode} GC; {Python ?? "Python skipped"}; load {LoadAverage}");
}
