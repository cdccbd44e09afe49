using System.Diagnostics;

namespace Spindle.Hosting.Tests;

/// <summary>Helpers that wait on conditions, never on fixed sleeps.</summary>
internal static class TestWait
{
    /// <summary>The hard timeout of every test that starts threads, processes or hosts.</summary>
    public const int Hard = 60_000;

    /// <summary>Waits until <paramref name="condition"/> holds, checking it at a short interval, for at most 20 s.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(20))
            {
                throw new TimeoutException($"Gave up after 20 s waiting until {what}.");
            }

            await Task.Delay(5);
        }
    }

    /// <summary>Whether a process with this id still exists (a zombie counts as gone: it runs nothing).</summary>
    public static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
