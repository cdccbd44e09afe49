namespace Spindle.Tests.Contract;

/// <summary>
/// Work used by the contract suite. Every method is static and takes serializable arguments, so the same
/// suite runs on threads and in worker processes.
/// </summary>
public static class ContractWork
{
    public static int Square(int x) => x * x;

    public static async Task<int> SquareAsync(int x, CancellationToken token)
    {
        await Task.Yield();
        return x * x;
    }

    /// <summary>Returns its argument after a short delay that varies with it, so completion order differs from input order.</summary>
    public static async Task<int> EchoAfterDelay(int x, CancellationToken token)
    {
        await Task.Delay((x % 4) * 15, token);
        return x;
    }

    public static int FailWith(string message) => throw new InvalidOperationException(message);

    public static int FailOn13(int x) => x == 13 ? throw new ArgumentOutOfRangeException(nameof(x), x, "thirteen is unlucky") : x;

    /// <summary>Waits until its token is cancelled or <paramref name="milliseconds"/> pass, then returns the argument.</summary>
    public static async Task<int> WaitForToken(int milliseconds, CancellationToken token)
    {
        await Task.Delay(milliseconds, token);
        return milliseconds;
    }

    /// <summary>Spins on the CPU until its token is cancelled; never returns normally within a test.</summary>
    public static int SpinUntilCancelled(int ignored, CancellationToken token)
    {
        while (true)
        {
            token.ThrowIfCancellationRequested();
            Thread.SpinWait(1000);
        }
    }
}
