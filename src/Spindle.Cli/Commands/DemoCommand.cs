using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Spectre.Console;
using Spindle.Cli.Demo;

namespace Spindle.Cli.Commands;

/// <summary><c>spindle demo</c>: Spindle's main job on a built-in example, in well under a minute.</summary>
internal static class DemoCommand
{
    public static Command Create(IAnsiConsole console, TextWriter error)
    {
        var downloads = new Option<int>("--downloads") { Description = "Simulated downloads of 50 ms in the I/O batch.", DefaultValueFactory = _ => 200, CustomParser = OptionValues.WholeNumber(1) };
        var cpuTasks = new Option<int>("--cpu-tasks") { Description = "CPU tasks of about 50 ms in the CPU batch.", DefaultValueFactory = _ => 40, CustomParser = OptionValues.WholeNumber(1) };
        var command = new Command("demo", "Run an I/O-bound and a CPU-bound batch on each technique and show the timings.")
        {
            downloads,
            cpuTasks,
        };
        command.SetAction((result, token) => RunAsync(console, error, result.GetValue(downloads), result.GetValue(cpuTasks), token));
        return command;
    }

    private static async Task<int> RunAsync(IAnsiConsole console, TextWriter error, int downloads, int cpuTasks, CancellationToken token)
    {
        // The parser has already refused values below 1 (see OptionValues); this guards callers that skip it.
        if (downloads <= 0 || cpuTasks <= 0)
        {
            await error.WriteLineAsync($"spindle demo: --downloads and --cpu-tasks must be at least 1 (were {downloads} and {cpuTasks}); for example --downloads 20 --cpu-tasks 8.");
            return SpindleCli.UsageError;
        }

        var cores = Environment.ProcessorCount;
        console.MarkupLine($"[bold]Spindle demo[/] on {cores} cores, .NET {Environment.Version}");
        var limit = DemoWork.CalibratePrimes(50);
        var rows = new List<DemoRow>();
        AutoExecutor? auto = null;

        await console.Status().StartAsync("Running the I/O batch…", async ctx =>
        {
            var ideal = TimeSpan.FromMilliseconds(50);
            var serial = TimeSpan.FromMilliseconds(50.0 * downloads);
            await using (var threads = Executor.Threads(new ThreadExecutorOptions { IoConcurrency = downloads }))
            {
                var took = await Time(async () =>
                {
                    await foreach (var _ in threads.Map(DemoWork.Download, Enumerable.Repeat(50, downloads)).WithCancellation(token))
                    {
                    }
                });
                rows.Add(new DemoRow($"I/O: {downloads} downloads of 50 ms", "threads, I/O lane", took, serial, $"ideal {ideal.TotalMilliseconds:0} ms"));
            }

            ctx.Status("Running the CPU batch serially…");
            var serialCpu = await Time(() =>
            {
                for (var i = 0; i < cpuTasks; i++)
                {
                    DemoWork.CountPrimes(limit);
                }

                return Task.CompletedTask;
            });
            rows.Add(new DemoRow($"CPU: {cpuTasks} tasks of ~50 ms", "serial", serialCpu, serialCpu, ""));

            ctx.Status("Running the CPU batch on the CPU lane…");
            await using (var threads = Executor.Threads(new ThreadExecutorOptions { CpuThreads = cores }))
            {
                var took = await Time(async () =>
                {
                    await foreach (var _ in threads.Map(DemoWork.CountPrimes, Enumerable.Repeat(limit, cpuTasks)).WithCancellation(token))
                    {
                    }
                });
                rows.Add(new DemoRow($"CPU: {cpuTasks} tasks of ~50 ms", $"threads, CPU lane ({cores})", took, serialCpu, $"limit {cores}.0x"));
            }

            ctx.Status("Running the CPU batch on worker processes…");
            await using (var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = cores }))
            {
                var took = await Time(async () =>
                {
                    await foreach (var _ in processes.Map(DemoWork.CountPrimes, Enumerable.Repeat(limit, cpuTasks)).WithCancellation(token))
                    {
                    }
                });
                rows.Add(new DemoRow($"CPU: {cpuTasks} tasks of ~50 ms", $"processes ({cores} workers)", took, serialCpu, "includes starting the workers"));
            }

            ctx.Status("Running the mixed batch on Auto…");
            auto = Executor.Auto(new AutoExecutorOptions { Processes = new ProcessExecutorOptions { MaxWorkers = cores, Start = WorkerStart.Lazy } });
            var mixedSerial = serial + TimeSpan.FromTicks(serialCpu.Ticks);
            var mixed = await Time(() => Task.WhenAll(
                Enumerable.Repeat(50, downloads).Select(ms => auto.Submit(DemoWork.Download, ms, token))
                    .Concat(Enumerable.Repeat(limit, cpuTasks).Select(l => auto.Submit(DemoWork.CountPrimes, l, token)))));
            rows.Add(new DemoRow("mixed: both batches at once", "Auto (measures, then routes)", mixed, mixedSerial, "serial = sum of both"));
        });

        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("batch").AddColumn("technique").AddColumn(new TableColumn("wall time").RightAligned())
            .AddColumn(new TableColumn("speedup vs serial").RightAligned()).AddColumn("note");
        foreach (var row in rows)
        {
            table.AddRow(
                Markup.Escape(row.Batch),
                Markup.Escape(row.Technique),
                $"{row.Took.TotalMilliseconds:0} ms",
                $"{row.Serial / row.Took:0.00}x",
                Markup.Escape(row.Note));
        }

        console.Write(table);
        if (auto is not null)
        {
            var report = new Table().Border(TableBorder.Rounded).Title("How Auto routed each function")
                .AddColumn("function").AddColumn(new TableColumn("calls").RightAligned()).AddColumn(new TableColumn("CPU share").RightAligned())
                .AddColumn(new TableColumn("alloc MB/CPU-s").RightAligned()).AddColumn("lane").AddColumn("why");
            foreach (var f in auto.Report())
            {
                report.AddRow(Markup.Escape(f.Function), f.Calls.ToString(CultureInfo.InvariantCulture), f.CpuShare.ToString("P0", CultureInfo.InvariantCulture),
                    (f.AllocationRate / 1e6).ToString("0", CultureInfo.InvariantCulture), f.Lane.ToString(), Markup.Escape(f.Reason));
            }

            console.Write(report);
            await auto.DisposeAsync();
        }

        console.MarkupLine("Threads suit I/O-bound work (waits hold no thread); the CPU lane's dedicated threads run CPU-bound work in parallel without touching the shared ThreadPool; worker processes add isolation at the cost of starting them.");
        return 0;
    }

    private static async Task<TimeSpan> Time(Func<Task> action)
    {
        var clock = Stopwatch.StartNew();
        await action();
        return clock.Elapsed;
    }

    private sealed record DemoRow(string Batch, string Technique, TimeSpan Took, TimeSpan Serial, string Note);
}
