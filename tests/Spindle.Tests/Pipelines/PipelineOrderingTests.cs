using System.Threading.Channels;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineOrderingTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Then_KeepOrder_ResultsComeInInputOrder()
    {
        var results = new List<int>();
        await Pipeline.From(Enumerable.Range(0, 200))
            .Then("wait", PipelineWork.EchoAfterDelay, new StageOptions { Parallelism = 8 })
            .Then("square", PipelineWork.Square, new StageOptions { Parallelism = 2 })
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, 200).Select(x => x * x), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Then_Unordered_PassesCompletedItemsPastASlowOne()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var run = Pipeline.From(Enumerable.Range(0, 20))
            .Then("hold zero", async (int x) => x == 0 ? await gate.Task : x, new StageOptions { Parallelism = 4, KeepOrder = false })
            .Start();

        // Item 0 cannot finish until the gate opens, yet the five items read first all arrive before it.
        var results = new List<int>();
        await using (var reader = run.GetAsyncEnumerator())
        {
            while (results.Count < 5 && await reader.MoveNextAsync())
            {
                results.Add(reader.Current);
            }

            gate.SetResult(0);
            while (await reader.MoveNextAsync())
            {
                results.Add(reader.Current);
            }
        }

        Assert.DoesNotContain(0, results.Take(5));
        Assert.Equal(Enumerable.Range(0, 20), results.Order());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task From_Channel_EndsWhenTheChannelIsCompleted()
    {
        var channel = Channel.CreateUnbounded<int>();
        var results = new List<int>();
        var running = Pipeline.From(channel.Reader).Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2 }).RunAsync(results.Add);
        for (var i = 0; i < 50; i++)
        {
            await channel.Writer.WriteAsync(i);
        }

        channel.Writer.Complete();
        await running;
        Assert.Equal(Enumerable.Range(0, 50).Select(x => x * 2), results);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task FromLines_ReadsEveryLineOfEveryFileInOrder()
    {
        var dir = Directory.CreateTempSubdirectory("spindle-pipeline-test-");
        try
        {
            var paths = new List<string>();
            for (var f = 0; f < 3; f++)
            {
                var path = Path.Combine(dir.FullName, $"{f}.txt");
                await File.WriteAllLinesAsync(path, Enumerable.Range(0, 100).Select(i => $"{f}:{i}"));
                paths.Add(path);
            }

            var lines = new List<string>();
            await Pipeline.FromLines(paths).Then("upper", static (string s) => s.ToUpperInvariant()).RunAsync(lines.Add);

            Assert.Equal(Enumerable.Range(0, 3).SelectMany(f => Enumerable.Range(0, 100).Select(i => $"{f}:{i}")), lines);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Then_OnAGivenExecutorsCpuLane_RunsOnItsDedicatedThreads()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { Name = "given", CpuThreads = 2 });
        var threads = new List<string?>();
        await Pipeline.From(Enumerable.Range(0, 40))
            .Then("where", static (int _) => Thread.CurrentThread.Name, new StageOptions { On = executor, Parallelism = 2 }.OnCpu())
            .RunAsync(threads.Add);

        Assert.Equal(40, threads.Count);
        Assert.All(threads, name => Assert.StartsWith("given cpu ", name, StringComparison.Ordinal));

        // Cheap items go to a thread executor in small batches, so it ran between one task per batch and one per item.
        Assert.InRange(executor.Progress.Completed, 1, 40);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Then_PipelineExecutorAndIoKind_RunsBlockingWorkOnTheIoLane()
    {
        await using var executor = Executor.Threads(new ThreadExecutorOptions { Name = "shared", CpuThreads = 1 });
        var onPool = new List<bool>();
        await Pipeline.From(Enumerable.Range(0, 20), new PipelineOptions { Executor = executor })
            .Then("blocking read", static (int _) => Thread.CurrentThread.IsThreadPoolThread, new StageOptions { Parallelism = 4 }.OnIo())
            .RunAsync(onPool.Add);

        Assert.Equal(20, onPool.Count);
        Assert.All(onPool, Assert.True);
        Assert.InRange(executor.Progress.Completed, 1, 20);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_EmptySource_EndsWithNoResults()
    {
        var results = new List<int>();
        var result = await Pipeline.From(Array.Empty<int>())
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 3, KeepOrder = false })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 2 })
            .RunAsync(results.Add);

        Assert.Empty(results);
        Assert.All(result.Progress.Stages, s => Assert.Equal((0, 0), (s.ItemsIn, s.ItemsOut)));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task RunAsync_NoStages_PassesTheSourceThrough()
    {
        var results = new List<int>();
        var result = await Pipeline.From(Enumerable.Range(0, 100)).RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, 100), results);
        Assert.Equal(100, result.Progress.SourcePulled);
    }

    [Theory(Timeout = TestWait.Hard)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ManyCheapItemsThroughSmallBuffers_EachArrivesOnce_InOrderWhenKept(bool keepOrder)
    {
        // Small buffers and several loops per stage: the buffers fill and empty on nearly every batch, so batch writes
        // that wrap round the ring, partial writes into a nearly full buffer and waits for room all happen many times.
        const int Count = 30_000;
        var results = new List<int>(Count);
        var options = new StageOptions { Parallelism = 3, KeepOrder = keepOrder };
        await Pipeline.From(Enumerable.Range(0, Count), new PipelineOptions { Name = "many", BufferCapacity = 5 })
            .Then("double", PipelineWork.Twice, options)
            .Then("echo", PipelineWork.Echo, options.OnIo())
            .Then("halve", (int x) => x / 2, options)
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, Count), keepOrder ? results : results.Order());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task HugeBufferCapacities_RunAsAnyOther()
    {
        // 2^30 in front of an ordered stage of 2 loops makes an order window of 2^31 places, past int's range.
        var results = new List<int>();
        await Pipeline.From(Enumerable.Range(0, 1_000), new PipelineOptions { Name = "unbounded", BufferCapacity = int.MaxValue })
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2, BufferCapacity = 1 << 30 })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 3 }.OnIo())
            .RunAsync(results.Add);

        Assert.Equal(Enumerable.Range(0, 1_000).Select(x => x * 2), results);
    }
}

