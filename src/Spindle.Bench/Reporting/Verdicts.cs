using System.Globalization;
using Spindle.Bench.Workloads;

namespace Spindle.Bench.Reporting;

/// <summary>
/// Turns figures into sentences. Nothing here is written by hand about a result: every number and every
/// comparison ("threads suffice", "processes win") comes from the medians of this run.
/// </summary>
internal static class Verdicts
{
    // Differences smaller than this are within the noise of a shared machine and are called a tie.
    private const double Margin = 1.10;

    public static WorkloadResult ForWorkload(BenchWorkload workload, IReadOnlyList<TechniqueResult> rows)
    {
        var winner = rows.Where(r => r.Ok).MinBy(r => r.MedianSeconds);
        return new WorkloadResult(
            workload.Name, workload.Title, workload.Kind.ToString(), workload.Count, workload.Concurrency, rows, winner?.Name,
            Sentence(workload.Name, workload.Kind, rows, winner));
    }

    public static IReadOnlyList<string> Findings(BenchReport report)
    {
        var findings = new List<string>();
        var cores = report.Machine.Cores;

        // Pure CPU work must scale this far before a finding calls it parallel: three quarters of the cores, at most 1.5x.
        var parallel = Math.Min(1.5, 0.75 * cores);
        var cpu = report.Workloads.FirstOrDefault(w => w.Name == "cpu");
        var alloc = report.Workloads.FirstOrDefault(w => w.Name == "alloc");
        if (cpu is not null && Best(cpu.Techniques, "threads") is { } cpuThreads)
        {
            var python = Best(cpu.Techniques, "python-threads") is { } pt
                ? F($"; Python threads reach {pt.Speedup:0.0}x (the GIL lets one thread compute at a time)")
                  + (Best(cpu.Techniques, "python-processes") is { } pp && pp.Speedup > pt.Speedup * Margin ? F($" and Python needs processes to reach {pp.Speedup:0.0}x") : "")
                : "";
            findings.Add(cpuThreads.Speedup >= parallel
                ? F($"No GIL: .NET threads run pure CPU work in parallel, {cpuThreads.Speedup:0.0}x over serial on {cores} cores ({cpuThreads.Name}){python}.")
                : F($"In this run .NET threads did not speed up pure CPU work ({cpuThreads.Speedup:0.0}x on {cores} cores, load {report.Machine.LoadAverage} at the start){python}; a busy machine or too small a --size hides the parallelism, so run again on a quiet machine."));
        }

        var waits = report.Workloads.Where(w => w.Kind == nameof(WorkloadKind.Io)).ToList();
        if (waits.Count > 0)
        {
            var io = waits.Select(w => (w.Name, Io: Find(w, "Spindle threads, I/O lane"), Cpu: Find(w, "Spindle threads, CPU lane"))).Where(x => x.Io is not null).ToList();
            if (io.Count > 0)
            {
                var list = string.Join(", ", io.Select(x => F($"{x.Io!.Speedup:0.0}x on {x.Name}")));
                var cpuLane = io.Where(x => x.Cpu is not null).Select(x => F($"{x.Cpu!.Speedup:0.0}x on {x.Name}")).ToList();
                findings.Add($"Waiting work wants many tasks in flight, not one thread per core: the I/O lane reaches {list}"
                    + (cpuLane.Count > 0 ? $", where blocking calls on the CPU lane's {cores} threads reach {string.Join(", ", cpuLane)}." : "."));
            }
        }

        if (cpu is not null && alloc is not null && Best(cpu.Techniques, "threads") is { } c && c.Speedup >= parallel && Best(alloc.Techniques, "threads") is { } a)
        {
            var gap = a.Speedup!.Value < c.Speedup!.Value / Margin;
            var processes = Best(alloc.Techniques, "processes");
            var tail = processes is not null
                ? F($"; processes, each with its own heap, reach {processes.Speedup:0.0}x")
                : "; processes (each with its own heap) are not measured in this build";
            findings.Add(gap
                ? F($"One GC heap per process: allocation-heavy work scales {a.Speedup:0.0}x on threads against {c.Speedup:0.0}x for pure CPU, so the shared heap costs threads some of their scaling{tail}.")
                : F($"One GC heap per process did not hold threads back here: allocation-heavy work scales {a.Speedup:0.0}x on threads against {c.Speedup:0.0}x for pure CPU{tail}."));
        }

        if (cpu is not null && Best(cpu.Techniques, "threads") is { } t && t.Speedup >= parallel)
        {
            var p = Best(cpu.Techniques, "processes");
            findings.Add(p is null
                ? "The claim \"threads for I/O, processes for CPU\" is Python's; in .NET threads already run CPU work in parallel, so processes must earn their place by isolation (hard timeouts, crash containment); process figures are not in this build."
                : p.Speedup > t.Speedup * Margin
                    ? F($"For CPU work processes beat threads here ({p.Speedup:0.0}x against {t.Speedup:0.0}x), so \"processes for CPU\" holds in .NET too on this machine.")
                    : F($"For CPU work threads match or beat processes ({t.Speedup:0.0}x against {p.Speedup:0.0}x): in .NET \"processes for CPU\" is about isolation (hard timeouts, crash containment), not speed."));
        }

        return findings;
    }

    private static string Sentence(string name, WorkloadKind kind, IReadOnlyList<TechniqueResult> rows, TechniqueResult? winner)
    {
        if (winner is null)
        {
            return F($"{name}: no technique completed, so there is no verdict.");
        }

        var label = kind switch
        {
            WorkloadKind.Cpu => "CPU-bound",
            WorkloadKind.Io => "I/O-bound",
            _ => "Mixed",
        };
        var threads = Best(rows, "threads");
        var processes = Best(rows, "processes");
        var text = threads is null
            ? F($"{label} ({name}): Spindle threads did not complete")
            : F($"{label} ({name}): Spindle threads reach {threads.Speedup:0.0}x ({Lane(threads)})");
        if (processes is not null)
        {
            text += F($" and processes {processes.Speedup:0.0}x");
        }

        if (threads is not null && threads.Speedup < Margin && (processes is null || processes.Speedup < Margin))
        {
            text += ", no better than serial beyond noise";
        }
        else if (threads is not null)
        {
            text += processes is null
                ? ", so in .NET threads suffice (processes not measured)"
                : processes.Speedup > threads.Speedup * Margin ? ", so here processes beat threads" : ", so in .NET threads suffice";
        }

        var pyThreads = Best(rows, "python-threads");
        var pyProcesses = Best(rows, "python-processes");
        var pyAsync = Best(rows, "python-asyncio");
        if (pyThreads is not null || pyProcesses is not null)
        {
            var best = new[] { pyThreads, pyProcesses, pyAsync }.Where(r => r is not null).MaxBy(r => r!.Speedup)!;
            text += F($"; Python's best is {best.Name["Python ".Length..]} at {best.Speedup:0.0}x");
            if (kind == WorkloadKind.Cpu && pyThreads is not null && pyProcesses is not null && pyProcesses.Speedup > pyThreads.Speedup * Margin)
            {
                text += F($" while its threads stay at {pyThreads.Speedup:0.0}x (the GIL)");
            }
        }

        return text + F($"; fastest overall: {winner.Name} ({Seconds(winner.MedianSeconds)}).");
    }

    private static string Lane(TechniqueResult row) => row.Name.StartsWith("Spindle threads, ", StringComparison.Ordinal) ? row.Name["Spindle threads, ".Length..] : row.Name;

    private static TechniqueResult? Best(IEnumerable<TechniqueResult> rows, string family) =>
        rows.Where(r => r.Family == family && r.Speedup is not null).MaxBy(r => r.Speedup);

    private static TechniqueResult? Find(WorkloadResult workload, string name) =>
        workload.Techniques.FirstOrDefault(r => r.Name == name && r.Speedup is not null);

    internal static string Seconds(double seconds) =>
        seconds >= 1 ? F($"{seconds:0.00} s") : F($"{seconds * 1000:0} ms");

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
