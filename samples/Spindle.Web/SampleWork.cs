namespace Spindle.Web;

/// <summary>The sample's work: static methods, so that they cross into worker processes by reference.</summary>
public static class SampleWork
{
    /// <summary>CPU work with no I/O and no allocation: a hash loop of <paramref name="iterations"/> steps.</summary>
    public static ulong Heavy(int iterations)
    {
        var h = 1469598103934665603UL;
        for (var i = 0; i < iterations; i++)
        {
            h ^= (ulong)i;
            h *= 1099511628211UL;
            h ^= h >> 29;
        }

        return h;
    }

    /// <summary>
    /// A stand-in for a parser of untrusted input (a decoder, a native library): by its input it returns, crashes its
    /// process, loops forever or leaks memory until it is killed.
    /// </summary>
    public static string Parse(string input)
    {
        switch (input)
        {
            case "crash":
                Environment.FailFast("The parser hit corrupt input and crashed its process.");
                return "";
            case "hang":
                while (true)
                {
                    Thread.SpinWait(1000);
                }

            case "leak":
                var kept = new List<byte[]>();
                while (true)
                {
                    var block = new byte[16 * 1024 * 1024];
                    Array.Fill(block, (byte)1);
                    kept.Add(block);

                    // A leak grows, it does not explode: the executor's memory watch (five times a second) sees it pass.
                    Thread.Sleep(5);
                }

            default:
                return $"parsed {input.Length} characters";
        }
    }
}
