namespace Spindle.Tests.Auto;

/// <summary>Functions of known nature for Auto's classification tests.</summary>
public static class AutoWork
{
    public static async Task<int> AwaitHeavy(int milliseconds)
    {
        await Task.Delay(milliseconds);
        return milliseconds;
    }

    public static int BusyLoop(int milliseconds)
    {
        var end = Environment.TickCount64 + milliseconds;
        var spins = 0;
        while (Environment.TickCount64 < end)
        {
            spins++;
        }

        return spins > 0 ? milliseconds : 0;
    }

    /// <summary>Computes and allocates many short-lived objects.</summary>
    public static int AllocationHeavy(int milliseconds)
    {
        var end = Environment.TickCount64 + milliseconds;
        var total = 0;
        while (Environment.TickCount64 < end)
        {
            var list = new List<string>(64);
            for (var i = 0; i < 64; i++)
            {
                list.Add(new string('x', 32));
            }

            total += list.Count;
        }

        return Environment.ProcessId;
    }

    /// <summary>Busy below 1000, waiting from 1000 on: a function that changes its nature.</summary>
    public static int Changeling(int mode)
    {
        // Synchronous in both modes: a synchronous call is measured on one lane thread with its run-queue time left
        // out, while an async call's pieces can also wait for a pool thread, which no thread's run queue shows.
        if (mode < 1000)
        {
            BusyLoop(15);
        }
        else
        {
            Thread.Sleep(15);
        }

        return mode;
    }

    [WorkKind(WorkKind.IoBound)]
    public static int DeclaredIoButBusy(int milliseconds) => BusyLoop(milliseconds);

    [WorkKind(WorkKind.Isolated)]
    public static int IsolatedPid(int ignored) => Environment.ProcessId;
}
