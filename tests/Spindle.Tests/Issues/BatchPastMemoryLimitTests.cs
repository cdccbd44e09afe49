using Spindle.Processes;
using Spindle.Tests.Reliability;

namespace Spindle.Tests.Issues;

/// <summary>
/// Issue 26, point 0: Map batches items and the memory limit was checked only between tasks, so a batch of thousands
/// of leaking items passed twice the limit before any check; its worker was killed mid-batch and the whole Map failed.
/// A worker over its limit now stops its batch short and is recycled; the rest of the batch runs on a fresh worker.
/// </summary>
[Collection(ReliabilitySuite.Name)]
public sealed class BatchPastMemoryLimitTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_BatchLeakingPastTwiceTheMemoryLimit_StopsShortAndRecycles_NoItemFails()
    {
        // One batch of 4,000 items of 64 KB leaks 250 MB: about twice the limit, all inside one task.
        const int Items = 8_000;
        await using var executor = Executor.Processes(new ProcessExecutorOptions
        {
            MaxWorkers = 1,
            MemoryLimitBytes = 128L * 1024 * 1024,
            Output = static _ => { },
        });

        var results = new List<(int Input, int Pid)>();
        await foreach (var result in executor.Map(ReliabilityWork.Leak, Enumerable.Repeat(64, Items), new MapOptions { BatchSize = 4_000 }))
        {
            results.Add(result);
        }

        Assert.Equal(Items, results.Count);
        Assert.All(results, static r => Assert.Equal(64, r.Input));

        // 500 MB leaked in all against a 128 MB limit: several workers, each recycled before twice the limit.
        Assert.True(results.Select(static r => r.Pid).Distinct().Count() >= 3, "The leaking workers were not recycled.");
        Assert.Equal(Items, executor.Progress.Completed);
        Assert.Equal(0, executor.Progress.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_WorkerAnswersABatchShort_TheRestRunsAgainAndEveryItemArrivesOnceInOrder()
    {
        await using var fake = InProcessFakeWorker.Create(1024 * 1024);
        using var connection = await fake.ConnectNextAsync();
        var map = Drain(fake.Executor.Map(ReliabilityWork.Square, [1, 2, 3, 4], new MapOptions { BatchSize = 4 }));

        var first = (await connection.ReadRunsAsync(1))[0];
        Assert.Equal([1, 2, 3, 4], PayloadSerializer.Deserialize<int[]>(first.Payload));
        connection.Send(Frames.Result(first.TaskId, PayloadSerializer.Serialize(new[] { 1 })));

        // The rest of the batch comes again, as a batch of its own items only.
        var rest = (await connection.ReadRunsAsync(1))[0];
        Assert.True(rest.IsBatch);
        Assert.Equal([2, 3, 4], PayloadSerializer.Deserialize<int[]>(rest.Payload));
        connection.Send(Frames.Result(rest.TaskId, PayloadSerializer.Serialize(new[] { 4, 9, 16 })));

        Assert.Equal([1, 4, 9, 16], await map.WaitAsync(TestWait.Generous));
        Assert.Equal(4, fake.Executor.Progress.Completed);
        Assert.Equal(0, fake.Executor.Progress.Running + fake.Executor.Progress.Queued);
    }

    [Fact]
    public void SkipItems_KeepsTheLaterItemsBytesUnchanged()
    {
        var items = new[] { new Order("a", 1.5m), new Order("bb", 2), new Order("ccc", 3) };
        var payload = PayloadSerializer.Serialize(items);

        Assert.Equal(3, BatchPayload.Count(payload));
        Assert.Equal(items[1..], PayloadSerializer.Deserialize<Order[]>(BatchPayload.SkipItems(payload, 1)));
        Assert.Empty(PayloadSerializer.Deserialize<Order[]>(BatchPayload.SkipItems(payload, 3)));
        Assert.Equal(-1, BatchPayload.Count(PayloadSerializer.Serialize(7)));
    }

    private static async Task<List<int>> Drain(IAsyncEnumerable<int> map)
    {
        var results = new List<int>();
        await foreach (var result in map)
        {
            results.Add(result);
        }

        return results;
    }

    public sealed record Order(string Customer, decimal Total);
}
