namespace Spindle.Cli.Demo;

/// <summary>The demo's workloads: static methods, so that every technique can run them, worker processes included.</summary>
internal static class DemoWork
{
    /// <summary>A simulated download: waits <paramref name="milliseconds"/> and returns a fake byte count.</summary>
    public static async Task<int> Download(int milliseconds, CancellationToken token)
    {
        await Task.Delay(milliseconds, token);
        return milliseconds * 1000;
    }

    /// <summary>Pure CPU work: counts the primes below <paramref name="limit"/> (the bench's CPU workload).</summary>
    public static int CountPrimes(int limit) => (int)Spindle.Bench.Workloads.CpuWork.CountPrimes(limit);

    /// <summary>Finds the CountPrimes limit that takes about <paramref name="milliseconds"/> on this machine.</summary>
    public static int CalibratePrimes(double milliseconds)
    {
        var limit = 20_000;
        while (true)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            CountPrimes(limit);
            var took = clock.Elapsed.TotalMilliseconds;
            if (took >= milliseconds / 4)
            {
                // Trial division costs about n^1.5; scale the limit to the target.
                return (int)(limit * Math.Pow(milliseconds / took, 1 / 1.5));
            }

            limit *= 2;
        }
    }
}
