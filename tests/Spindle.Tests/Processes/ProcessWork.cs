using System.Runtime.InteropServices;

namespace Spindle.Tests.Processes;

/// <summary>Work that runs in worker processes in the process tests: each crash kind, and probes of the worker.</summary>
public static partial class ProcessWork
{
    public static int Pid(int ignored) => Environment.ProcessId;

    public static async Task<int> PidAsync(int ignored, CancellationToken token)
    {
        await Task.Delay(1, token);
        return Environment.ProcessId;
    }

    public static string? Env(string name) => Environment.GetEnvironmentVariable(name);

    public static int FailFast(int ignored)
    {
        Environment.FailFast("fail-fast from a test task");
        return 0;
    }

    public static int StackOverflow(int depth) => StackOverflow(depth + 1) + 1;

    public static int Segfault(int ignored) => (int)strlen(0);

    [LibraryImport("libc")]
    private static partial nint strlen(nint pointer);

    /// <summary>Holds <paramref name="megabytes"/> of touched memory until cancelled or 60 s pass.</summary>
    public static int HoldMemory(int megabytes, CancellationToken token)
    {
        var chunks = new List<byte[]>();
        for (var i = 0; i < megabytes; i++)
        {
            var chunk = new byte[1024 * 1024];
            Array.Fill(chunk, (byte)1);
            chunks.Add(chunk);
        }

        token.WaitHandle.WaitOne(60_000);
        GC.KeepAlive(chunks);
        return chunks.Count;
    }

    /// <summary>Leaves <paramref name="megabytes"/> of memory allocated in the worker, on purpose.</summary>
    public static int Leak(int megabytes)
    {
        for (var i = 0; i < megabytes; i++)
        {
            var chunk = new byte[1024 * 1024];
            Array.Fill(chunk, (byte)1);
            Leaked.Add(chunk);
        }

        return Leaked.Count;
    }

    public static int LoopForever(int ignored)
    {
        while (true)
        {
            Thread.SpinWait(1000);
        }
    }

    public static int IgnoreCancellation(int milliseconds)
    {
        Thread.Sleep(milliseconds);
        return milliseconds;
    }

    /// <summary>Crashes the worker the first time it is called for a marker path, and succeeds afterwards.</summary>
    public static string CrashOnce(string markerPath)
    {
        if (!File.Exists(markerPath))
        {
            File.WriteAllText(markerPath, "crashed once");
            Environment.Exit(42);
        }

        return "second time lucky";
    }

    public static int WriteOutput(string text)
    {
        Console.Out.WriteLine($"out: {text}");
        Console.Error.WriteLine($"err: {text}");
        Console.Out.Flush();
        Console.Error.Flush();
        return text.Length;
    }

    public static int ExitAfterStderr(int code)
    {
        Console.Error.WriteLine("about to exit: disk quota exceeded");
        Console.Error.Flush();
        Environment.Exit(code);
        return 0;
    }

    /// <summary>Starts a long sleep as a child of the worker and returns its pid.</summary>
    public static int StartChild(int ignored)
    {
        using var child = System.Diagnostics.Process.Start("sleep", "1000");
        return child.Id;
    }

    public static byte[] Reverse(byte[] data)
    {
        var copy = (byte[])data.Clone();
        Array.Reverse(copy);
        return copy;
    }

    public static Order Total(Order order) => order with { Total = order.Lines.Sum(l => l.Quantity * l.Price) };

    public static Dictionary<string, int> CountWords(List<string> words) =>
        words.GroupBy(w => w).ToDictionary(g => g.Key, g => g.Count());

    public static int InitializedValue(int ignored) => s_initialized;

    public static void Initialize() => s_initialized = 4242;

    private static int s_initialized;

    private static readonly List<byte[]> Leaked = [];
}

public sealed record OrderLine(string Sku, int Quantity, decimal Price);

public sealed record Order(int Id, List<OrderLine> Lines, decimal Total);
