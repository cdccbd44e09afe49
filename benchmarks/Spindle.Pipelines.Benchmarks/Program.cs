using System.Diagnostics;
using System.Globalization;
using System.Text;
using Spindle;
using Spindle.Pipelines.Benchmarks;

// Side-by-side timings of one pipeline written three ways (serial loop, TPL Dataflow, Spindle), run in the same
// process, rounds interleaved so that machine noise hits every variant alike; reported as ratios of medians.
//   dotnet run -c Release --project benchmarks/Spindle.Pipelines.Benchmarks -- [--rounds N] [--warmup N] [--only ROW] [--write-docs docs/benchmarks.md]
// ROW is one of balanced, io, heavy, processes, tiny (for quick iterations; --write-docs needs every row).
// Every variant first runs at least --warmup times (30 unless told), untimed, and on until three rounds in a row
// each spend under 0.5% of their time JIT-compiling: .NET's tiered JIT optimises a method only after its 30th call
// (in two steps with dynamic PGO), and code that runs once per pipeline run (setting up stages, buffers, executors)
// reaches that only after as many runs, so fewer warm-up rounds time the JIT at work rather than the pipelines.
string[] rowNames = ["balanced", "io", "heavy", "processes", "tiny"];
var rounds = 9;
var warmup = 30;
string? docsPath = null;
string? only = null;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--rounds": rounds = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--warmup": warmup = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
        case "--write-docs": docsPath = args[++i]; break;
        case "--only" when i + 1 < args.Length && rowNames.Contains(args[i + 1]): only = args[++i]; break;
        default: Console.Error.WriteLine($"Unknown argument '{args[i]}'; use --rounds N, --warmup N, --only {string.Join('|', rowNames)} and --write-docs PATH."); return 2;
    }
}

if (only is not null && docsPath is not null)
{
    Console.Error.WriteLine("--write-docs writes the whole table; run it without --only.");
    return 2;
}

bool Runs(string row) => only is null || only == row;

var cores = Environment.ProcessorCount;
var loadBefore = LoadAverage();
var rows = new List<string>();
var cpuNotes = new List<string>();
var jitNotes = new List<string>();
var boundNote = string.Empty;
var splitNote = string.Empty;

// 1. Three in-process stages, I/O around a moderate CPU stage: Spindle against TPL Dataflow, same parallelism and buffers.
if (Runs("balanced"))
{
    var balanced = Workload.CreateFiles(count: 600, size: 16 * 1024);
    var balancedJobs = balanced.GetFiles("*.bin").Select(f => new FileJob(f.FullName, HashRounds: 32)).ToArray();
    // Two more variants, no target, to show where the difference lies: each pipeline with the other's split of
    // threads (Dataflow's hash block on threads of its own, as the CPU lane; Spindle's hash stage on the pool).
    using var dedicated = new DedicatedThreadsScheduler(cores);
    var (b, bCpu, bLane, bRounds) = await Measure("hash ×32", rounds, warmup, jitNotes, new()
    {
        ["serial"] = () => Variants.SerialFilesAsync(balancedJobs),
        ["dataflow"] = () => Variants.DataflowFilesAsync(balancedJobs, cores),
        ["spindle"] = () => Variants.SpindleFilesAsync(balancedJobs, cores),
        ["dataflow-threads"] = () => Variants.DataflowFilesAsync(balancedJobs, cores, dedicated),
        ["spindle-pool"] = () => Variants.SpindleFilesAsync(balancedJobs, cores, hashOnPool: true),
    });
    rows.Add(Row($"read → hash ×32 → write, {balancedJobs.Length} files of 16 KiB", balancedJobs.Length, b, bRounds));
    rows.Add(Row(
        $"the same, Dataflow's hash block on {cores} threads of its own, as the CPU lane (no target)",
        balancedJobs.Length,
        b,
        bRounds,
        dataflow: "dataflow-threads"));
    rows.Add(Row(
        "the same, Spindle's hash stage on the I/O lane, the pool, as Dataflow's (no target)",
        balancedJobs.Length,
        b,
        bRounds,
        spindle: "spindle-pool"));

    cpuNotes.Add(CpuNote("hash ×32", bCpu));
    boundNote = string.Create(CultureInfo.InvariantCulture,
        $" In this run the serial ×32 loop took {b["serial"]:0} ms for {bCpu["serial"]:0} ms of CPU, and Spindle's ×32 pipeline used {bCpu["spindle"] / b["spindle"]:0.0} of the {cores} cores.");
    splitNote = string.Create(CultureInfo.InvariantCulture,
        $" In this run the swaps put the ratio at {b["dataflow-threads"] / b["spindle"]:0.00} and {b["dataflow"] / b["spindle-pool"]:0.00}, and Spindle's CPU per run was {AboveOrBelow(bCpu["spindle"], bCpu["dataflow-threads"])} Dataflow's with the CPU lane against dedicated threads and {AboveOrBelow(bCpu["spindle-pool"], bCpu["dataflow"])} it with both on the pool (the CPU times below).");
    if (bLane["spindle"] is > 0 and var laneMs)
    {
        splitNote += string.Create(CultureInfo.InvariantCulture,
            $" Of Spindle's {bCpu["spindle"]:0} ms of CPU per ×32 run, its CPU lane's threads (the hashing, with that stage's batch tasks) used {laneMs:0} ms and the pool's threads (the I/O stages and the hand-offs to them) {bCpu["spindle"] - laneMs:0} ms; Dataflow's whole run, hashing included, used {bCpu["dataflow"]:0} ms, so its work besides hashing took {bCpu["dataflow"] - laneMs:0} ms if its hashing cost what Spindle's lane did.");
    }

    cpuNotes.Add(string.Create(CultureInfo.InvariantCulture, $"Dataflow's hash on threads of its own {bCpu["dataflow-threads"]:0} ms; Spindle's hash on the pool {bCpu["spindle-pool"]:0} ms"));
    balanced.Delete(recursive: true);
}

// 1b. The same pipeline with no hashing (0 rounds: the hash stage only formats a digest): what the I/O stages and the
// hand-offs between stages cost on their own. No target; it shows where the file rows' difference to Dataflow lies.
if (Runs("io"))
{
    var io = Workload.CreateFiles(count: 600, size: 16 * 1024);
    var ioJobs = io.GetFiles("*.bin").Select(f => new FileJob(f.FullName, HashRounds: 0)).ToArray();
    var (o, oCpu, _, oRounds) = await Measure("no hashing", rounds, warmup, jitNotes, new()
    {
        ["serial"] = () => Variants.SerialFilesAsync(ioJobs),
        ["dataflow"] = () => Variants.DataflowFilesAsync(ioJobs, cores),
        ["spindle"] = () => Variants.SpindleFilesAsync(ioJobs, cores),
    });
    rows.Add(Row($"read → (no hashing) → write, {ioJobs.Length} files of 16 KiB (the I/O stages alone; no target)", ioJobs.Length, o, oRounds));
    cpuNotes.Add(CpuNote("no hashing", oCpu));
    io.Delete(recursive: true);
}

// 2. The CPU-heavy stage dominates: the pipeline against the serial loop (the 1.8x-on-2-cores claim).
if (Runs("heavy") || Runs("processes"))
{
    var heavy = Workload.CreateFiles(count: 200, size: 16 * 1024);
    var heavyJobs = heavy.GetFiles("*.bin").Select(f => new FileJob(f.FullName, HashRounds: 300)).ToArray();
    if (Runs("heavy"))
    {
        var (h, hCpu, _, hRounds) = await Measure("hash ×300", rounds, warmup, jitNotes, new()
        {
            ["serial"] = () => Variants.SerialFilesAsync(heavyJobs),
            ["dataflow"] = () => Variants.DataflowFilesAsync(heavyJobs, cores),
            ["spindle"] = () => Variants.SpindleFilesAsync(heavyJobs, cores),
        });
        rows.Add(Row($"read → hash ×300 → write, {heavyJobs.Length} files of 16 KiB (CPU-heavy)", heavyJobs.Length, h, hRounds));
        cpuNotes.Add(CpuNote("hash ×300", hCpu));
    }

    // 2b. The same, with the hash stage on worker processes: created once, outside the timed rounds (the warm-up
    // round starts its workers and loads the hash code in them), so the rounds time the pipeline, not process start.
    // Dataflow has no process counterpart, so this row is only against the serial loop.
    if (Runs("processes"))
    {
        await using var processes = Executor.Processes(new ProcessExecutorOptions { Name = "bench-hash", MaxWorkers = cores });
        var (p, _, _, _) = await Measure("processes", rounds, warmup, jitNotes, new()
        {
            ["serial"] = () => Variants.SerialFilesAsync(heavyJobs),
            ["spindle"] = () => Variants.SpindleFilesAsync(heavyJobs, null, processes),
        });
        rows.Add(ProcessRow($"the same, hash stage on {cores} worker processes", heavyJobs.Length, p));
    }

    heavy.Delete(recursive: true);
}

// 3. Per-item overhead: three trivial stages, where the cost of moving an item is all there is.
if (Runs("tiny"))
{
    const int TinyItems = 200_000;
    var (t, tCpu, _, tRounds) = await Measure("trivial stages", rounds, warmup, jitNotes, new()
    {
        ["serial"] = () => Task.FromResult(Variants.SerialTiny(TinyItems)) as Task,
        ["dataflow"] = () => Variants.DataflowTinyAsync(TinyItems, 2),
        ["spindle"] = () => Variants.SpindleTinyAsync(TinyItems, 2),
    });
    rows.Add(Row($"three trivial stages (x+1, x*2, x-1), {TinyItems:N0} ints (per-item overhead)", TinyItems, t, tRounds, serialIsTrivial: true));
    cpuNotes.Add(CpuNote("trivial stages", tCpu));
}

var section = new StringBuilder()
    .AppendLine("## Pipelines")
    .AppendLine()
    .AppendLine("```bash")
    .AppendLine(CultureInfo.InvariantCulture, $"dotnet run -c Release --project benchmarks/Spindle.Pipelines.Benchmarks -- --rounds {rounds} --warmup {warmup} --write-docs docs/benchmarks.md")
    .AppendLine("```")
    .AppendLine()
    .AppendLine(CultureInfo.InvariantCulture, $"One pipeline written three ways and run side by side in one process, {rounds} interleaved rounds after at least {warmup} untimed warm-up rounds, continued until three rounds in a row each spent under 0.5% of their time JIT-compiling (the tiered JIT optimises a method only after its 30th call; {string.Join("; ", jitNotes)}), medians: a serial loop, TPL Dataflow")
    .AppendLine(CultureInfo.InvariantCulture, $"(`TransformBlock`s, the file pipelines' write stage an `ActionBlock`, `BoundedCapacity` {Variants.Buffer}, `EnsureOrdered`) and a Spindle `Pipeline` on `Executor.Threads()` (buffers of {Variants.Buffer}, order kept).")
    .AppendLine(CultureInfo.InvariantCulture, $"Both parallel variants read and write {Variants.IoParallelism} files at once and hash on {cores} (the cores); Spindle's hash stage runs on the CPU lane, except in the")
    .AppendLine(CultureInfo.InvariantCulture, $"row \"hash stage on {cores} worker processes\", where it runs on `Executor.Processes` with {cores} workers, created once before the rounds (the first warm-up round starts them), and the stage's default parallelism there (two items per worker).")
    .AppendLine(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC on {cores} cores, load average (1, 5, 15 min) before: {loadBefore}, after: {LoadAverage()}.")
    .AppendLine()
    .AppendLine("| pipeline | serial | TPL Dataflow | Spindle | Spindle throughput / Dataflow | the same, round by round: median (middle half) | Spindle speedup over serial |")
    .AppendLine("|---|---|---|---|---|---|---|");
foreach (var row in rows)
{
    section.AppendLine(row);
}

section.AppendLine()
    .AppendLine("Targets: Spindle at least equal to Dataflow on the in-process pipelines (ratio ≥ 1.00), and at least 1.8x the serial")
    .AppendLine("pipeline when the CPU-heavy stage runs on the CPU lane or on worker processes on 2 cores. The ratio is of the medians;")
    .AppendLine("the column beside it takes the same ratio within each round and gives the median and the middle half of those")
    .AppendLine("per-round ratios: how far the machine's noise moves one comparison. Every item goes through")
    .AppendLine("`Executor.Submit`: on threads in batches of about 200 µs of work taken from what is already buffered, and a batch's task")
    .AppendLine("passes its results on and takes the next batch itself, on the executor's thread, while input is buffered (for the")
    .AppendLine("longest of 1 ms, 50 measured hand-offs and 64 items of its work). When a batch task ends, its stage's loop goes on on")
    .AppendLine("the same thread instead of a hop through the pool, and an I/O-lane task the loop submits from a pool thread starts")
    .AppendLine("there, as a Dataflow block starts its delegate. A buffer between two stages is a ring under one lock, and a batch goes")
    .AppendLine("in or out of it under one acquisition (the synchronous source hands items over in batches too, while the first stage")
    .AppendLine("has work in hand), where a Dataflow block takes its incoming lock for each message offered to it: on 2 cores the")
    .AppendLine("stages on either side of a lock contend for it, and with cheap items that decides the trivial-stages row. A writer")
    .AppendLine("into a full buffer waits until it is down to half instead of being woken for each item taken, and `RunAsync()`")
    .AppendLine("without a sink drops the results at the last stage (the Dataflow")
    .AppendLine("variant likewise ends in an `ActionBlock`). A run takes the idle executor the run before it left (as Dataflow's runs")
    .AppendLine("share the pool) rather than starting threads of its own. While the disk answers quickly, the file rows are bound by the")
    .AppendLine("2 cores (CPU time per run about twice the wall time), and their ratio follows the CPU each variant spends: the hashing")
    .AppendLine("itself, the file system calls, and the hand-offs between threads. When the disk is slow, the serial loop's wall time")
    .AppendLine("grows well past its CPU time, and waiting on the disk decides the ratio instead; on this shared machine the disk's")
    .AppendLine(CultureInfo.InvariantCulture, $"speed changes from one hour to the next.{boundNote} Spindle's hash stage runs on the CPU lane's own threads and Dataflow's on the")
    .AppendLine("pool's; the two rows after the first swap that split (Dataflow's hash block on threads of its own, Spindle's hash stage")
    .AppendLine(CultureInfo.InvariantCulture, $"on the pool).{splitNote} The row without hashing shows what the I/O stages and the hand-offs")
    .AppendLine("around them cost alone. The trivial-stages row measures what moving one item costs. On worker processes")
    .AppendLine("every item crosses the process boundary alone (16 KiB in, a digest out, each serialized), and the read and write")
    .AppendLine("stages share the 2 cores with the workers; two items per worker keep each worker busy while a result travels back. The")
    .AppendLine("machine is shared: other work on its cores slows every variant, and single rounds of the same variant can differ by")
    .AppendLine("half; the load averages above say how busy it was,")
    .AppendLine(CultureInfo.InvariantCulture, $"and the CPU time the process used per run (medians, Dataflow / Spindle: {string.Join("; ", cpuNotes)}) what each variant cost.");

Console.WriteLine(section);
if (docsPath is not null)
{
    WriteSection(docsPath, section.ToString());
    Console.WriteLine($"Wrote the Pipelines section of {docsPath}.");
}

return 0;

// Within 1% is "about equal": the CPU times are medians of a noisy machine, shown rounded to the millisecond.
static string AboveOrBelow(double value, double baseline) =>
    Math.Abs(value - baseline) <= 0.01 * baseline ? "about equal to" : value > baseline ? "above" : "below";

// A serial loop over trivial work has no pipeline to speak of; its speedup would say nothing. The ratio column is the
// ratio of the two variants' medians; beside it, the same ratio taken within each round (the two ran seconds apart),
// as the median and the middle half of those per-round ratios: how far noise moves it.
static string Row(
    string name, int items, Dictionary<string, double> ms, Dictionary<string, List<double>> perRound,
    string dataflow = "dataflow", string spindle = "spindle", bool serialIsTrivial = false)
{
    var ratios = perRound[dataflow].Zip(perRound[spindle], (d, s) => d / s).Order().ToArray();
    return string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {ms["serial"]:0.#} ms | {ms[dataflow]:0} ms ({items / ms[dataflow] * 1000:N0}/s) | {ms[spindle]:0} ms ({items / ms[spindle] * 1000:N0}/s) | {ms[dataflow] / ms[spindle]:0.00} | {Quantile(ratios, 0.5):0.00} ({Quantile(ratios, 0.25):0.00}–{Quantile(ratios, 0.75):0.00}) | {(serialIsTrivial ? "n/a" : $"{ms["serial"] / ms[spindle]:0.00}x")} |");
}

static string ProcessRow(string name, int items, Dictionary<string, double> ms) =>
    string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {ms["serial"]:0.#} ms | — | {ms["spindle"]:0} ms ({items / ms["spindle"] * 1000:N0}/s) | — | — | {ms["serial"] / ms["spindle"]:0.00}x |");

// The process row has no such note: the CPU time of worker processes is not this process's.
static string CpuNote(string name, Dictionary<string, double> cpu) =>
    string.Create(CultureInfo.InvariantCulture, $"{name} {cpu["dataflow"]:0} / {cpu["spindle"]:0} ms");

// Medians per variant: wall time, CPU time of this process, and CPU time of Spindle's CPU-lane threads (0 where there
// are none). Adds the row's warm-up rounds and the JIT's share of its timed rounds to jitNotes.
static async Task<(Dictionary<string, double> Wall, Dictionary<string, double> Cpu, Dictionary<string, double> Lane, Dictionary<string, List<double>> Rounds)> Measure(
    string label, int rounds, int warmup, List<string> jitNotes, Dictionary<string, Func<Task>> variants)
{
    // Per variant and round. On a shared machine CPU time says what a variant costs, where wall time also says how
    // much of the machine it got.
    var times = variants.Keys.ToDictionary(k => k, _ => new List<double>());
    var cpu = variants.Keys.ToDictionary(k => k, _ => new List<double>());
    var lane = variants.Keys.ToDictionary(k => k, _ => new List<double>());

    // One round: every variant once, the order rotated so that no variant always runs first. The warm-up rounds run
    // this same code, measurements and all, so that the timed rounds find it compiled too.
    async Task<double> RoundAsync(int round)
    {
        var jitBefore = System.Runtime.JitInfo.GetCompilationTime();
        var roundClock = Stopwatch.StartNew();
        var order = variants.Keys.ToArray();
        var shift = round % order.Length;
        foreach (var name in order.Skip(shift).Concat(order.Take(shift)))
        {
            var laneBefore = CpuLaneMilliseconds();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            await variants[name]();
            times[name].Add(clock.Elapsed.TotalMilliseconds);
            cpu[name].Add((Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds);
            lane[name].Add(CpuLaneMilliseconds() - laneBefore);
        }

        return (System.Runtime.JitInfo.GetCompilationTime() - jitBefore) / roundClock.Elapsed;
    }

    // Untimed rounds first, until the JIT has optimised what every variant runs (see the top of this file). With
    // dynamic PGO a method is optimised in two steps (instrumented after its 30th call, optimised some 30 calls
    // later), so code that runs once per pipeline run is still being compiled long after the 30th run: the warm-up
    // goes on past --warmup rounds until three rounds in a row each spend under 0.5% of their time compiling, for at
    // most 10x as many.
    var compiledBefore = System.Runtime.JitInfo.GetCompiledMethodCount();
    var warmed = 0;
    var quietRounds = 0;
    while (warmed < warmup || (quietRounds < 3 && warmed < 10 * warmup))
    {
        quietRounds = await RoundAsync(warmed++) < 0.005 ? quietRounds + 1 : 0;
    }

    Console.WriteLine($"  warm-up: {warmed} rounds, {System.Runtime.JitInfo.GetCompiledMethodCount() - compiledBefore} methods JIT-compiled");
    foreach (var list in times.Values.Concat(cpu.Values).Concat(lane.Values))
    {
        list.Clear();
    }

    var jitAtStart = System.Runtime.JitInfo.GetCompilationTime();
    var timedClock = Stopwatch.StartNew();
    for (var round = 0; round < rounds; round++)
    {
        await RoundAsync(round);
    }

    var timedJitShare = (System.Runtime.JitInfo.GetCompilationTime() - jitAtStart) / timedClock.Elapsed;
    jitNotes.Add(string.Create(CultureInfo.InvariantCulture, $"{label} {warmed} warm-up rounds, {timedJitShare:0.0%} compiling in the timed rounds"));
    Console.WriteLine($"  timed rounds: {timedJitShare:P1} of their time JIT-compiling");
    foreach (var (name, list) in times)
    {
        Console.WriteLine($"  {name,-16} median {Median(list),6:0} ms: {string.Join(' ', list.Select(x => x.ToString("0", CultureInfo.InvariantCulture)))} ms; CPU median {Median(cpu[name]):0} ms");
    }

    static Dictionary<string, double> Medians(Dictionary<string, List<double>> lists) => lists.ToDictionary(p => p.Key, p => Median(p.Value));
    return (Medians(times), Medians(cpu), Medians(lane), times);
}

// CPU time so far of the threads of a pipeline run's own executor's CPU lane ("pipeline cpu N"), in ms; 0 where
// /proc has no per-thread figures. The rest of a run's CPU is the pool's threads (the I/O stages and their hand-offs).
static double CpuLaneMilliseconds()
{
    if (!Directory.Exists("/proc/self/task"))
    {
        return 0;
    }

    long nanoseconds = 0;
    foreach (var thread in Directory.EnumerateDirectories("/proc/self/task"))
    {
        try
        {
            if (File.ReadAllText(Path.Combine(thread, "comm")).StartsWith("pipeline cpu", StringComparison.Ordinal))
            {
                nanoseconds += long.Parse(File.ReadAllText(Path.Combine(thread, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }
        catch (IOException)
        {
            // The thread ended between listing and reading.
        }
    }

    return nanoseconds / 1e6;
}

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

static double Median(List<double> values)
{
    var sorted = values.Order().ToArray();
    return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
}

// The value below which a share q of the sorted values lies, interpolating between neighbours.
static double Quantile(double[] sorted, double q)
{
    var at = q * (sorted.Length - 1);
    var below = (int)Math.Floor(at);
    var above = Math.Min(below + 1, sorted.Length - 1);
    return sorted[below] + ((at - below) * (sorted[above] - sorted[below]));
}

static void WriteSection(string path, string section)
{
    var text = File.Exists(path) ? File.ReadAllText(path) : "# Benchmarks\n";
    var start = text.IndexOf("\n## Pipelines\n", StringComparison.Ordinal);
    if (start < 0)
    {
        text = text.TrimEnd('\n') + "\n\n" + section;
    }
    else
    {
        var end = text.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        text = text[..(start + 1)] + section + (end < 0 ? string.Empty : "\n" + text[(end + 1)..]);
    }

    File.WriteAllText(path, text);
}
