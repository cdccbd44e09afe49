using System.Diagnostics;

namespace Spindle.Tests;

/// <summary>Helpers that wait on conditions and signals, never on fixed sleeps.</summary>
internal static class TestWait
{
    /// <summary>The hard timeout of every test that starts threads or processes.</summary>
    public const int Hard = 60_000;

    /// <summary>A generous bound for a condition that should hold almost at once.</summary>
    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(20);

    /// <summary>Waits until <paramref name="condition"/> holds, checking it whenever the executor reports progress and at a short interval.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var limit = within ?? Generous;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Gave up after {limit.TotalSeconds:0} s waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }
}
