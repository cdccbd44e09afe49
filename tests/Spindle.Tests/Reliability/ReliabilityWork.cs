using System.Diagnostics;

namespace Spindle.Tests.Reliability;

/// <summary>Work the reliability tests run in worker processes.</summary>
public static class ReliabilityWork
{
    private static readonly List<byte[]> s_leaked = [];

    public static int Square(int x) => x * x;

    /// <summary>Returns its argument as an object: what a worker sends back is read as whatever MessagePack finds.</summary>
    public static object Echo(string value) => value;

    /// <summary>About 1 ms of CPU, then a value that proves which input it was computed from.</summary>
    public static long Checksum(int x)
    {
        var end = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 1000);
        while (Stopwatch.GetTimestamp() < end)
        {
        }

        return Expected(x);
    }

    public static long Expected(int x) => ((long)x * 2_654_435_761L) ^ 0x5bd1e995L;

    public static int LoopForever(int ignored)
    {
        while (true)
        {
            Thread.SpinWait(1000);
        }
    }

    /// <summary>Leaks <paramref name="kilobytes"/> of touched memory in the worker, on purpose, and says which worker it was.</summary>
    public static (int Input, int Pid) Leak(int kilobytes)
    {
        var chunk = new byte[kilobytes * 1024];
        Array.Fill(chunk, (byte)7);
        lock (s_leaked)
        {
            s_leaked.Add(chunk);
        }

        return (kilobytes, Environment.ProcessId);
    }
}
