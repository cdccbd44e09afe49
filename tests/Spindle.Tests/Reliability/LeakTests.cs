using System.Globalization;
using Spindle.Tests.Processes;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 4 of the reliability issue: a task that leaks memory makes its workers recycle at the memory limit, while the
/// parent stays flat: its threads and descriptors do not grow with recycled workers, and its resident memory is
/// reported from start to end. The parent is the dummy app ("leak" mode), so the figures are its own.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed class LeakTests(ITestOutputHelper output)
{
    [Fact(Timeout = Soak.Hard)]
    public async Task Map_LeakingTask_RecyclesWorkersAtTheMemoryLimit_AndTheParentStaysFlat()
    {
        var tasks = Soak.Scale(10_000, 100_000);
        const int LimitMegabytes = 128;
        const int LeakKilobytes = 64;
        using var parent = ProcessProbe.StartDummy("leak", tasks.ToString(CultureInfo.InvariantCulture), $"{LimitMegabytes}", $"{LeakKilobytes}");
        var rss = (await ProcessProbe.ReadLineStartingWith(parent, "rss:").WaitAsync(Soak.Deadline)).Split(' ').Select(long.Parse).ToArray();
        var threads = (await ProcessProbe.ReadLineStartingWith(parent, "threads:")).Split(' ').Select(int.Parse).ToArray();
        var descriptors = (await ProcessProbe.ReadLineStartingWith(parent, "descriptors:")).Split(' ').Select(int.Parse).ToArray();
        var recycles = int.Parse(await ProcessProbe.ReadLineStartingWith(parent, "recycles:"), CultureInfo.InvariantCulture);
        var failed = int.Parse(await ProcessProbe.ReadLineStartingWith(parent, "failed:"), CultureInfo.InvariantCulture);
        var results = int.Parse(await ProcessProbe.ReadLineStartingWith(parent, "results:"), CultureInfo.InvariantCulture);
        await parent.WaitForExitAsync().WaitAsync(TestWait.Generous);

        Soak.Record(output, "leak.tasks", $"{results} of {tasks}, {LeakKilobytes} KB leaked each, limit {LimitMegabytes} MB");
        Soak.Record(output, "leak.recycles", $"{recycles}");
        Soak.Record(output, "leak.rss_mb", $"{string.Join(" → ", rss.Select(static b => (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture)))}");
        Soak.Record(output, "leak.threads", $"{threads[0]} → {threads[1]}");
        Soak.Record(output, "leak.descriptors", $"{descriptors[0]} → {descriptors[1]}");

        Assert.Equal(0, parent.ExitCode);
        Assert.Equal(tasks, results);
        Assert.Equal(0, failed);

        // 64 KB a task against a 128 MB limit: a worker lasts about 1,500 tasks.
        Assert.True(recycles >= tasks / 5_000, $"Only {recycles} workers were recycled over {tasks} leaking tasks.");

        // Regression: every recycled worker used to leave a thread and a few descriptors behind in the parent.
        Assert.True(threads[1] <= threads[0] + 4, $"The parent's threads grew from {threads[0]} to {threads[1]} over {recycles} recycles.");
        Assert.True(descriptors[1] <= descriptors[0] + 16, $"The parent's descriptors grew from {descriptors[0]} to {descriptors[1]} over {recycles} recycles.");

        // Resident memory settles (the allocator keeps freed thread stacks and heap for reuse); a leak would grow without bound.
        Assert.True(rss[^1] < rss[0] + (64L * 1024 * 1024), $"The parent's resident memory grew from {rss[0]} to {rss[^1]} bytes.");
    }
}
