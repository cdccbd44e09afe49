namespace Spindle.Internal;

/// <summary>
/// Waits for work whose outcome someone else already reported (a Map that failed or was left early, a run that was
/// stopped): the wait only makes sure it has ended and that its exception is observed, never thrown again.
/// </summary>
internal static class Quietly
{
    public static async Task Wait(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The outcome was reported elsewhere; this wait only observes the end.
        catch
        {
        }
#pragma warning restore CA1031
    }

    public static async Task Wait<T>(ValueTask<T> task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // The outcome was reported elsewhere; this wait only observes the end.
        catch
        {
        }
#pragma warning restore CA1031
    }

    public static async Task WaitAll(IEnumerable<Task> tasks)
    {
        foreach (var task in tasks)
        {
            await Wait(task).ConfigureAwait(false);
        }
    }
}
