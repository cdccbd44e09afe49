namespace Spindle.Tests.Dummy;

/// <summary>
/// A parent with console output left at its default whose task overflows its worker's stack; it prints what the
/// caller's exception says ("report:", "lines:") so that a test can compare it with what reached the console.
/// </summary>
internal static class DummyCrashParent
{
    public static async Task<int> RunAsync()
    {
        await using var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1 });
        Console.Error.WriteLine("before the crash");
        await executor.Submit(DummyCrashWork.Say, "a worker's own stderr line");
        try
        {
            await executor.Submit(DummyCrashWork.Overflow, 0);
            return 1;
        }
        catch (WorkerCrashedException e)
        {
            Console.WriteLine($"report: {e.LastStderrLines.FirstOrDefault(static l => l.StartsWith("Stack overflow", StringComparison.Ordinal)) ?? "none"}");
            Console.WriteLine($"lines: {e.LastStderrLines.Count}");
            return 0;
        }
    }
}
