using System.Diagnostics;

namespace Spindle.Hosting.Tests;

/// <summary>Work that runs in worker processes: static, so that it crosses the process boundary by reference.</summary>
internal static class HostingWork
{
    public static int Pid(int ignored) => Environment.ProcessId;

    public static int Square(int x) => x * x;

    public static int Exit(int code)
    {
        Console.Error.WriteLine($"about to exit with {code}");
        Console.Error.Flush();
        Environment.Exit(code);
        return 0;
    }

    public static int Say(string text)
    {
        Console.WriteLine(text);
        Console.Out.Flush();
        return text.Length;
    }

    /// <summary>Burns CPU for about this many milliseconds, then returns its pid.</summary>
    public static int Busy(int milliseconds)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < milliseconds)
        {
            Thread.SpinWait(1000);
        }

        return Environment.ProcessId;
    }

    public static int LoopForever(int ignored)
    {
        while (true)
        {
            Thread.SpinWait(1000);
        }
    }
}
