using System.Globalization;
using Spindle;
using Spindle.Internal;
using Spindle.Processes;

namespace Spindle.Tests.Dummy;

/// <summary>
/// A parent that maps a leaking task over many items on workers with a memory limit, and reports its own resident
/// memory as it goes ("rss: …", bytes, ten samples), its threads and open descriptors after the first tenth and at
/// the end, then "recycles: N" and "results: N". A process of its own, so that the figures are its own and not a
/// test host's.
/// </summary>
internal static class DummyLeakParent
{
    public static async Task<int> RunAsync(string[] args)
    {
        var tasks = int.Parse(args[0], CultureInfo.InvariantCulture);
        var limitMegabytes = long.Parse(args[1], CultureInfo.InvariantCulture);
        var leakKilobytes = int.Parse(args[2], CultureInfo.InvariantCulture);
        await using var executor = Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 2,
            MemoryLimitBytes = limitMegabytes * 1024 * 1024,
            Output = static _ => { },
        });

        var pids = new HashSet<int>();
        var samples = new List<long>();
        var threads = new List<int>();
        var descriptors = new List<int>();
        var results = 0;
        await foreach (var (kilobytes, pid) in executor.Map(DummyWork.Leak, Enumerable.Repeat(leakKilobytes, tasks)))
        {
            if (kilobytes != leakKilobytes)
            {
                Console.Error.WriteLine($"result {results} was {kilobytes}, expected {leakKilobytes}");
                return 1;
            }

            pids.Add(pid);
            results++;
            if (results % Math.Max(1, tasks / 10) == 0)
            {
                samples.Add(ResidentMemory.Of(Environment.ProcessId));
                threads.Add(System.Diagnostics.Process.GetCurrentProcess().Threads.Count);
                descriptors.Add(Directory.GetFiles("/proc/self/fd").Length);
            }
        }

        Console.WriteLine($"rss: {string.Join(' ', samples)}");
        Console.WriteLine($"threads: {threads[0]} {threads[^1]}");
        Console.WriteLine($"descriptors: {descriptors[0]} {descriptors[^1]}");
        Console.WriteLine($"recycles: {pids.Count - 2}");
        Console.WriteLine($"failed: {executor.Progress.Failed}");
        Console.WriteLine($"results: {results}");
        return 0;
    }
}
