using System.Runtime.CompilerServices;

namespace Spindle.Bench.Workloads;

/// <summary>Real file I/O: reads one file and sums its bytes. Mirrored in spindle_bench.py.</summary>
public static class FileWork
{
    /// <summary>Reads the file at <paramref name="path"/> with blocking calls.</summary>
    public static long ReadAndSum(string path) => Sum(File.ReadAllBytes(path));

    /// <summary>Reads the file at <paramref name="path"/> with async calls.</summary>
    public static async Task<long> ReadAndSumAsync(string path, CancellationToken cancellationToken) =>
        Sum(await File.ReadAllBytesAsync(path, cancellationToken));

    // Fully optimised from the first call: a run of a few items must not time tier-0 code against tier-1 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static long Sum(ReadOnlySpan<byte> bytes)
    {
        var total = 0L;
        foreach (var b in bytes)
        {
            total += b;
        }

        return total;
    }

    /// <summary>Writes <paramref name="count"/> files of <paramref name="bytes"/> bytes with fixed content; returns their paths.</summary>
    internal static string[] CreateFiles(string directory, int count, int bytes)
    {
        Directory.CreateDirectory(directory);
        var paths = new string[count];
        var random = new Random(20_240_601);
        var buffer = new byte[bytes];
        for (var i = 0; i < count; i++)
        {
            random.NextBytes(buffer);
            paths[i] = Path.Combine(directory, $"file{i:D5}.bin");
            File.WriteAllBytes(paths[i], buffer);
        }

        return paths;
    }
}
