using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using Spindle.Processes;

namespace Spindle.Benchmarks.Processes;

/// <summary>
/// Where a worker's start-up goes (issue 26): the CPU time of a real worker from its start to its first result, beside
/// the CPU time of each step of a worker's path measured cold in a fresh process of its own (the runtime up to Main,
/// a first round trip of an int, the set-up of MessagePack's options for other payloads, the channel's socket, resolving the function).
/// Values are medians in milliseconds of CPU time; CPU time, unlike wall time, hardly moves with the machine's load.
/// </summary>
public sealed class WorkerStartupHarness : IHarness
{
    public string Name => "worker-startup";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(int repeats, TextWriter log)
    {
        ArgumentNullException.ThrowIfNull(log);
        var figures = new Dictionary<string, List<double>>();
        void Add(string name, double value)
        {
            if (!figures.TryGetValue(name, out var list))
            {
                figures[name] = list = [];
            }

            list.Add(value);
            log.WriteLine($"{name,-34} {value,8:0.0} ms");
        }

        for (var round = 0; round < repeats; round++)
        {
            await using (var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1, Output = static _ => { } }))
            {
                var pid = await executor.Submit(static (int _) => Environment.ProcessId, 0);
                Add("worker_cpu_to_first_result", ProcessCpuMilliseconds(pid));
            }

            foreach (var (step, ms) in await ProbeAsync())
            {
                Add($"step.{step}", ms);
            }
        }

        return figures.ToDictionary(f => f.Key, f => HarnessRunner.Median(f.Value));
    }

    /// <summary>Runs this program again as a cold probe and reads the CPU time of each step it took.</summary>
    private static async Task<Dictionary<string, double>> ProbeAsync()
    {
        var self = File.ReadAllText("/proc/self/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        var info = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in self[1..].TakeWhile(static a => a != "harness"))
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("startup-probe");
        using var probe = Process.Start(info)!;
        var json = await probe.StandardOutput.ReadToEndAsync();
        await probe.WaitForExitAsync();
        return JsonSerializer.Deserialize<Dictionary<string, double>>(json)!;
    }

    /// <summary>The probe itself: each step of a worker's start, cold, timed by this thread's CPU clock.</summary>
    public static int Probe()
    {
        var steps = new Dictionary<string, double> { ["runtime_to_main"] = ProcessCpuMilliseconds(Environment.ProcessId) };
        var last = ThreadCpuMilliseconds();
        void Step(string name)
        {
            var now = ThreadCpuMilliseconds();
            steps[name] = now - last;
            last = ThreadCpuMilliseconds();
        }

        _ = PayloadSerializer.Deserialize<int>(PayloadSerializer.Serialize(21));
        Step("first_int_round_trip");
        _ = PayloadSerializer.Options;
        Step("serializer_setup");
        var path = Path.Combine(Path.GetTempPath(), $"spindle-probe-{Environment.ProcessId}.sock");
        using (var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            // The listening end is the parent's, and not counted.
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen();
            last = ThreadCpuMilliseconds();
            var (input, output) = WorkerHost.Connect(path);
            output.Write([1]);
            Step("socket_channel");
            input.Dispose();
            output.Dispose();
        }

        File.Delete(path);
        var method = ((Func<int, int>)BenchWork.Trivial).Method;
        _ = FunctionInvoker.Resolve(new(method.Module.Assembly.GetName().Name!, method.Module.Assembly.Location, method.MetadataToken));
        Step("resolve_function");
        Console.WriteLine(JsonSerializer.Serialize(steps));
        return 0;
    }

    private static double ProcessCpuMilliseconds(int pid) => SchedstatMilliseconds($"/proc/{pid}/schedstat");

    private static double ThreadCpuMilliseconds() => SchedstatMilliseconds("/proc/thread-self/schedstat");

    // The first field of schedstat is the time spent on a CPU, in nanoseconds.
    private static double SchedstatMilliseconds(string path) =>
        long.Parse(File.ReadAllText(path).Split(' ')[0], CultureInfo.InvariantCulture) / 1e6;
}
