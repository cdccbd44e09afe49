// What a user of the Spindle package does first: a task on threads, a task in a worker process, a crash that fails
// only its own task, and a timeout that kills a runaway task. Exits 0 and prints "consumer: ok" when each behaves as
// documented; otherwise names what did not and exits 1. Run by .ci/run against the freshly packed package.
using Spindle;

var failures = new List<string>();

await using (var threads = Executor.Threads())
{
    var doubled = await threads.Submit(static (int n) => n * 2, 21);
    Expect(doubled == 42, $"a thread task returned {doubled}, expected 42");
}

if (OperatingSystem.IsLinux())
{
    await using var processes = Executor.Processes(new ProcessExecutorOptions
    {
        MaxWorkers = 2,
        // The crash below writes FailFast's report to the worker's stderr; kept out of CI's log.
        Output = static _ => { },
    });

    var workerPid = await processes.Submit(static (int _) => Environment.ProcessId, 0);
    Expect(workerPid != Environment.ProcessId, $"a process task ran in this process ({workerPid}), not in a worker");

    try
    {
        await processes.Submit(static (int code) =>
        {
            Environment.FailFast("consumer: a crash that should cost one task");
            return code;
        }, 1);
        Expect(false, "a task that crashed its worker returned normally");
    }
    catch (WorkerCrashedException)
    {
        // As documented: the crash fails only this task.
    }

    var afterCrash = await processes.Submit(static (int n) => n + 1, 41);
    Expect(afterCrash == 42, $"the task after a crash returned {afterCrash}, expected 42");

    try
    {
        await processes.Submit(static (int ms) =>
        {
            Thread.Sleep(ms); // ignores any token: only a kill stops it
            return ms;
        }, 120_000, new TaskOptions { Timeout = TimeSpan.FromMilliseconds(500) });
        Expect(false, "a task past its timeout returned normally");
    }
    catch (TaskTimeoutException)
    {
        // As documented: the worker was killed and replaced.
    }

    var afterTimeout = await processes.Submit(static (int n) => n * 3, 14);
    Expect(afterTimeout == 42, $"the task after a timeout returned {afterTimeout}, expected 42");
}
else
{
    Expect(false, "worker processes need Linux; this consumer check runs on Linux only");
}

foreach (var failure in failures)
{
    Console.Error.WriteLine($"consumer: {failure}");
}

Console.WriteLine(failures.Count == 0 ? "consumer: ok" : $"consumer: {failures.Count} failed");
return failures.Count == 0 ? 0 : 1;

void Expect(bool condition, string failure)
{
    if (!condition)
    {
        failures.Add(failure);
    }
}
