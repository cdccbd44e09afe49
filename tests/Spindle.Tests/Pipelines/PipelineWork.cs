namespace Spindle.Tests.Pipelines;

/// <summary>
/// Stage work used by the pipeline tests. Static methods with serializable items, so that the same stages can run
/// on a process executor.
/// </summary>
public static class PipelineWork
{
    public static int Twice(int x) => x * 2;

    public static int Square(int x) => x * x;

    public static async Task<int> Echo(int x, CancellationToken token)
    {
        await Task.Yield();
        return x;
    }

    /// <summary>Returns its argument after a delay that varies with it, so completion order differs from input order.</summary>
    public static async Task<int> EchoAfterDelay(int x, CancellationToken token)
    {
        await Task.Delay((x % 4) * 5, token);
        return x;
    }

    public static int FailOn13(int x) => x == 13 ? throw new ArgumentOutOfRangeException(nameof(x), x, "thirteen is unlucky") : x;

    public static int FailOnMultiplesOf5(int x) => x % 5 == 0 ? throw new InvalidOperationException($"{x} is a multiple of five") : x;

    /// <summary>Waits for its token, then throws an error that is not a cancellation, as careless cleanup code would.</summary>
    public static async Task<int> WaitThenThrowWhenCancelled(int x, CancellationToken token)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, token);
            return x;
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException("pipeline-test: error after cancellation " + x);
        }
    }
}
