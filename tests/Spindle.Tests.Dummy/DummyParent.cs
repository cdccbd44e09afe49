using System.Globalization;
using Spindle;

namespace Spindle.Tests.Dummy;

/// <summary>
/// A parent process that owns worker processes and reports them on stdout ("pids: …", "dir: …", "ready"), then
/// stays in the phase it was asked for until a test kills or interrupts it.
/// </summary>
internal static class DummyParent
{
    public static async Task<int> RunAsync(string[] args)
    {
        var workers = int.Parse(args[0], CultureInfo.InvariantCulture);
        var phase = args.Length > 1 ? args[1] : "idle";
        var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = workers, Start = phase == "lazy" ? WorkerStart.Lazy : WorkerStart.Eager });
        Console.WriteLine($"dir: {DummyIntrospection.SocketDirectory(executor)}");
        if (phase is "startup" or "lazy")
        {
            // Killed while workers are still starting.
            Console.WriteLine("ready");
            await Task.Delay(Timeout.Infinite);
        }

        var pids = await Task.WhenAll(Enumerable.Range(0, workers * 4).Select(i => executor.Submit(DummyWork.Pid, i)));
        Console.WriteLine($"pids: {string.Join(' ', pids.Distinct())}");
        Console.WriteLine($"children: {string.Join(' ', await Task.WhenAll(Enumerable.Range(0, workers).Select(i => executor.Submit(DummyWork.StartSleeper, i))))}");
        Console.WriteLine("ready");
        switch (phase)
        {
            case "map":
                while (true)
                {
                    await foreach (var _ in executor.Map(DummyWork.Spin, Enumerable.Range(0, 1000)))
                    {
                    }
                }

            case "shutdown":
                _ = Enumerable.Range(0, 100).Select(i => executor.Submit(DummyWork.Spin, i)).ToArray();
                await executor.ShutdownAsync();
                await Task.Delay(Timeout.Infinite);
                break;
            default:
                await Task.Delay(Timeout.Infinite);
                break;
        }

        return 0;
    }
}

/// <summary>Work the dummy parent's workers run.</summary>
internal static class DummyWork
{
    public static int Pid(int ignored) => Environment.ProcessId;

    /// <summary>Starts a long sleep as a child of the worker, and returns its pid.</summary>
    public static int StartSleeper(int ignored)
    {
        using var child = System.Diagnostics.Process.Start("sleep", "1000");
        return child.Id;
    }

    /// <summary>Leaks <paramref name="kilobytes"/> of touched memory in the worker, on purpose, and says which worker it was.</summary>
    public static (int Kilobytes, int Pid) Leak(int kilobytes)
    {
        var chunk = new byte[kilobytes * 1024];
        Array.Fill(chunk, (byte)7);
        Leaked.Add(chunk);
        return (kilobytes, Environment.ProcessId);
    }

    private static readonly List<byte[]> Leaked = [];

    public static int Spin(int x)
    {
        var end = Environment.TickCount64 + 20;
        while (Environment.TickCount64 < end)
        {
        }

        return x;
    }
}
