using System.Runtime.CompilerServices;

namespace Spindle.Bench.Workloads;

/// <summary>Pure CPU: counts primes by trial division, with no allocation at all. Mirrored in spindle_bench.py.</summary>
public static class CpuWork
{
    /// <summary>Counts the primes below <paramref name="limit"/>.</summary>
    // Fully optimised from the first call: a run of a few items must not time tier-0 code against tier-1 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static long CountPrimes(int limit)
    {
        var count = 0L;
        for (var n = 2; n < limit; n++)
        {
            var prime = true;
            for (var d = 2; d * d <= n; d++)
            {
                if (n % d == 0)
                {
                    prime = false;
                    break;
                }
            }

            if (prime)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The same, shaped as async work; it computes inline, as async code that calls CPU work does.</summary>
    public static Task<long> CountPrimesAsync(int limit, CancellationToken cancellationToken) => Task.FromResult(CountPrimes(limit));
}
