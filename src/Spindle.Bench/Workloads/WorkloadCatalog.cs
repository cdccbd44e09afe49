using System.Globalization;

namespace Spindle.Bench.Workloads;

/// <summary>
/// Builds the six workloads at a given size, with the files and the local server they need. Sizes are chosen so
/// that Python, which runs the same inputs, finishes too: a CPU item takes about 1 ms in .NET and 30 ms in CPython.
/// </summary>
internal sealed class WorkloadCatalog : IAsyncDisposable
{
    public static readonly IReadOnlyList<string> Names = ["cpu", "alloc", "files", "http", "waits", "mix"];

    private const int PrimeLimit = 30_000;
    private const int AllocCount = 40_000;
    private const int FileBytes = 64 * 1024;
    private const int HttpDelayMilliseconds = 10;
    private const int HttpBytes = 16 * 1024;

    private readonly string _directory;
    private readonly LocalHttpServer _server;

    private WorkloadCatalog(string directory, LocalHttpServer server, IReadOnlyList<BenchWorkload> workloads)
    {
        _directory = directory;
        _server = server;
        Workloads = workloads;
    }

    public IReadOnlyList<BenchWorkload> Workloads { get; }

    public static WorkloadCatalog Create(double size, int ioConcurrency, IReadOnlySet<string> only, string scratchDirectory)
    {
        int Count(int atSizeOne, int least = 2) => Math.Max(least, (int)Math.Round(atSizeOne * size));
        var cores = Environment.ProcessorCount;
        var directory = Path.Combine(scratchDirectory, "files");
        var fileCount = Count(400);
        var files = FileWork.CreateFiles(directory, fileCount, FileBytes);
        var server = LocalHttpServer.Start();

        static int Limit(int i) => PrimeLimit + (500 * (i % 4));
        static int Wait(int i) => 5 + (i % 11);
        string Url(int i) => server.UrlFor(i, HttpDelayMilliseconds, HttpBytes);

        var all = new List<BenchWorkload>();
        bool Wanted(string name) => only.Count == 0 || only.Contains(name);
        string N(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

        if (Wanted("cpu"))
        {
            var n = Count(40);
            all.Add(new BenchWorkload<int>(
                "cpu", $"CPU: {N(n)} prime counts below ~{N(PrimeLimit)}", WorkloadKind.Cpu, cores,
                [.. Enumerable.Range(0, n).Select(Limit)], CpuWork.CountPrimes, CpuWork.CountPrimesAsync, static a => a));
        }

        if (Wanted("alloc"))
        {
            var n = Count(40);
            all.Add(new BenchWorkload<int>(
                "alloc", $"Allocation: {N(n)} tasks of {N(AllocCount)} short-lived objects", WorkloadKind.Cpu, cores,
                [.. Enumerable.Repeat(AllocCount, n)], AllocWork.BuildAndSum, AllocWork.BuildAndSumAsync, static a => a));
        }

        if (Wanted("files"))
        {
            all.Add(new BenchWorkload<string>(
                "files", $"Files: read {N(fileCount)} files of {FileBytes / 1024} KiB", WorkloadKind.Io, ioConcurrency,
                files, FileWork.ReadAndSum, FileWork.ReadAndSumAsync, static a => a));
        }

        if (Wanted("http"))
        {
            var n = Count(100);
            all.Add(new BenchWorkload<string>(
                "http", $"HTTP: {N(n)} GETs of {HttpBytes / 1024} KiB from 127.0.0.1 (server waits {HttpDelayMilliseconds} ms)", WorkloadKind.Io, ioConcurrency,
                [.. Enumerable.Range(0, n).Select(Url)], HttpWork.Get, HttpWork.GetAsync, static a => a));
        }

        if (Wanted("waits"))
        {
            var n = Count(100);
            all.Add(new BenchWorkload<int>(
                "waits", $"Waits: {N(n)} simulated calls of 5-15 ms", WorkloadKind.Io, ioConcurrency,
                [.. Enumerable.Range(0, n).Select(Wait)], WaitWork.Sleep, WaitWork.DelayAsync, static a => a));
        }

        if (Wanted("mix"))
        {
            var n = Count(100, least: 5);
            string[] kinds = ["cpu", "alloc", "file", "http", "wait"];
            var items = Enumerable.Range(0, n).Select(i => kinds[i % kinds.Length] switch
            {
                "cpu" => new MixItem("cpu", Limit(i), ""),
                "alloc" => new MixItem("alloc", AllocCount, ""),
                "file" => new MixItem("file", 0, files[i % files.Length]),
                "http" => new MixItem("http", 0, Url(i)),
                _ => new MixItem("wait", Wait(i), ""),
            }).ToArray();
            all.Add(new BenchWorkload<MixItem>(
                "mix", $"Mix: {N(n)} items, all of the above interleaved", WorkloadKind.Mixed, ioConcurrency,
                items, MixWork.Run, MixWork.RunAsync, static a => new Dictionary<string, object> { ["kind"] = a.Kind, ["number"] = a.Number, ["text"] = a.Text }));
        }

        return new WorkloadCatalog(directory, server, all);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // A scratch directory left behind is harmless; failing the bench over it is not.
        }
    }
}
