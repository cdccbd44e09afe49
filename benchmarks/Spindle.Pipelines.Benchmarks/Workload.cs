using System.Security.Cryptography;

namespace Spindle.Pipelines.Benchmarks;

/// <summary>An input file to process and how much hashing its CPU stage does.</summary>
public sealed record FileJob(string Path, int HashRounds);

/// <summary>A file's bytes, read by the I/O stage.</summary>
public sealed record Chunk(string Path, byte[] Data, int HashRounds);

/// <summary>A file's digest, computed by the CPU stage.</summary>
public sealed record Digest(string Path, string Hex);

/// <summary>
/// The three stages every variant runs, as static methods with serializable items so that the CPU stage can also
/// run on worker processes: read a file (I/O), hash it many times (CPU), write the digest next to it (I/O).
/// </summary>
public static class Workload
{
    public static async Task<Chunk> ReadAsync(FileJob job, CancellationToken token) =>
        new(job.Path, await File.ReadAllBytesAsync(job.Path, token), job.HashRounds);

    public static Digest Hash(Chunk chunk)
    {
        Span<byte> digest = stackalloc byte[32];
        var data = chunk.Data;
        for (var round = 0; round < chunk.HashRounds; round++)
        {
            SHA256.HashData(data, digest);

            // Feeding each digest back in keeps every round dependent on the last, so none can be skipped.
            data[round % data.Length] ^= digest[0];
        }

        return new Digest(chunk.Path, Convert.ToHexString(digest));
    }

    public static async Task<string> WriteAsync(Digest digest, CancellationToken token)
    {
        var path = digest.Path + ".sha256";
        await File.WriteAllTextAsync(path, digest.Hex, token);
        return path;
    }

    /// <summary>Creates <paramref name="count"/> files of <paramref name="size"/> random bytes in a new temporary directory.</summary>
    public static DirectoryInfo CreateFiles(int count, int size)
    {
        var dir = Directory.CreateTempSubdirectory("spindle-pipeline-bench-");
        var bytes = new byte[size];
        for (var i = 0; i < count; i++)
        {
            Random.Shared.NextBytes(bytes);
            File.WriteAllBytes(Path.Combine(dir.FullName, $"{i:D5}.bin"), bytes);
        }

        return dir;
    }
}
