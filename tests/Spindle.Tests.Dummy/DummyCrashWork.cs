namespace Spindle.Tests.Dummy;

/// <summary>Work the crash parent's worker runs.</summary>
internal static class DummyCrashWork
{
    public static int Say(string line)
    {
        Console.Error.WriteLine(line);
        return 0;
    }

    public static int Overflow(int depth) => Overflow(depth + 1) + 1;
}
