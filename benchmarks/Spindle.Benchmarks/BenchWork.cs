using System.Runtime.CompilerServices;

namespace Spindle.Benchmarks;

/// <summary>Workloads shared by the process and Auto harnesses: static, so worker processes can run them.</summary>
public static class BenchWork
{
    public static int Trivial(int x) => x + 1;

    /// <summary>A trivial task over a record: its payload needs MessagePack's full options (and so OpenSSL) in a worker.</summary>
    public static Order Discount(Order order) => order with { Total = order.Total * 0.9 };

    /// <summary>Pure CPU work: counts the primes below <paramref name="limit"/> (the bench's CPU workload).</summary>
    public static int CountPrimes(int limit) => (int)Spindle.Bench.Workloads.CpuWork.CountPrimes(limit);

    /// <summary>CPU work that allocates many short-lived objects: builds and sorts lists of small strings.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int AllocationHeavy(int rounds)
    {
        var total = 0;
        for (var r = 0; r < rounds; r++)
        {
            var items = new List<string>(256);
            for (var i = 0; i < 256; i++)
            {
                items.Add((i * 7919 % 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) + "-item");
            }

            items.Sort(StringComparer.Ordinal);
            total += items[0].Length;
        }

        return total;
    }

    /// <summary>A simulated download: waits and returns a byte count.</summary>
    public static async Task<int> Download(int milliseconds, CancellationToken token)
    {
        await Task.Delay(milliseconds, token);
        return milliseconds * 1000;
    }

    /// <summary>Finds the argument of <paramref name="work"/> that takes about <paramref name="milliseconds"/> here.</summary>
    public static int Calibrate(Func<int, int> work, int start, double milliseconds)
    {
        var n = start;
        while (true)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            work(n);
            var took = clock.Elapsed.TotalMilliseconds;
            if (took >= milliseconds / 4)
            {
                var estimate = (int)(n * milliseconds / took);
                clock.Restart();
                work(estimate);
                return (int)(estimate * milliseconds / clock.Elapsed.TotalMilliseconds);
            }

            n *= 2;
        }
    }
}

public sealed record Order(string Customer, double Total);
