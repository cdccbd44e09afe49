// The README's library example, compiled with the solution so that it cannot rot.
using Spindle;

// region: readme
await using var executor = Executor.Threads();

// I/O-bound: async work runs on the I/O lane; a wait holds no thread.
var sizes = executor.Map(static async (string url, CancellationToken token) =>
{
    await Task.Delay(50, token); // stands in for an HTTP call
    return url.Length;
}, ["https://a.example", "https://b.example", "https://c.example"]);

await foreach (var size in sizes)
{
    Console.WriteLine($"downloaded {size} bytes");
}

// CPU-bound: sync work runs on the CPU lane's dedicated threads, never the shared ThreadPool.
var primes = await executor.Submit(static (int limit) => Enumerable.Range(2, limit).Count(n => Enumerable.Range(2, (int)Math.Sqrt(n) - 1).All(d => n % d != 0)), 100_000);
Console.WriteLine($"{primes} primes below 100,000");

// A timeout cancels the task's token; the caller gets a TimeoutException.
try
{
    await executor.Submit(static async (int ms, CancellationToken token) =>
    {
        await Task.Delay(ms, token);
        return ms;
    }, 10_000, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(100) });
}
catch (TimeoutException e)
{
    Console.WriteLine(e.Message);
}
// endregion

// Worker processes: the same app, re-executed; work by reference, arguments by value.
await using (var processes = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2 }))
{
    var pids = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => processes.Submit(static (int _) => Environment.ProcessId, i)));
    Console.WriteLine($"this process is {Environment.ProcessId}; the tasks ran in {string.Join(", ", pids.Distinct())}");

    try
    {
        await processes.Submit(static (int code) =>
        {
            Environment.FailFast("a crash that costs one task");
            return code;
        }, 1);
    }
    catch (WorkerCrashedException e)
    {
        Console.WriteLine($"crashed: worker {e.WorkerId} (pid {e.ProcessId}), signal {e.Signal}; the executor goes on:");
    }

    Console.WriteLine(await processes.Submit(static (string s) => s.ToUpperInvariant(), "still serving"));
}
