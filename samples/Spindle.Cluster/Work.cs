namespace Spindle.Cluster;

/// <summary>The work: static, so that a silo finds it by reference in its own copy of this app.</summary>
public static class Work
{
    /// <summary>The process that ran the task: which silo it was, on a cluster of silo processes.</summary>
    public static int ProcessId(int ignored) => Environment.ProcessId;

    public static long Square((int Value, int HoldMilliseconds) item)
    {
        if (item.HoldMilliseconds > 0)
        {
            Thread.Sleep(item.HoldMilliseconds);
        }

        return (long)item.Value * item.Value;
    }
}
