namespace Spindle.Orleans.Tests;

/// <summary>Work the cluster tests send to silos: static, with serializable arguments.</summary>
public static class ClusterWork
{
    public static int Twice(int x) => x * 2;

    /// <summary>Returns its argument after <c>x % 7 * 3</c> ms, so items finish out of order and overlap a kill.</summary>
    public static async Task<int> EchoSoon(int x, CancellationToken token)
    {
        await Task.Delay(x % 7 * 3 + 5, token);
        return x;
    }

    /// <summary>Waits for its token or for <paramref name="milliseconds"/>, then returns it.</summary>
    public static async Task<int> Hold(int milliseconds, CancellationToken token)
    {
        await Task.Delay(milliseconds, token);
        return milliseconds;
    }

    /// <summary>The process that ran the task (a silo's own, or one of its worker processes).</summary>
    public static int ProcessId(int ignored) => Environment.ProcessId;
}
