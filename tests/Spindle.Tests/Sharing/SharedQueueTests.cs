using System.Threading.Channels;
using Spindle.Sharing;

namespace Spindle.Tests.Sharing;

/// <summary>The shared queue between worker processes: every item exactly once, backpressure, completion.</summary>
public sealed class SharedQueueTests
{
    [Fact(Timeout = 120_000)]
    public async Task Queue_AMillionItems_BetweenTwoWorkers_ArriveExactlyOnce()
    {
        const int Items = 1_000_000;
        await using var executor = SharingTestKit.Processes(2);
        await SharingTestKit.WarmAsync(executor, 2);
        using var queue = SharedQueue<int>.Create(capacity: 1024, slotBytes: 8);
        using var seen = SharedArray<byte>.Create(Items);

        var job = new SharingWork.QueueJob(queue, seen, 0, Items, Complete: true);
        var consumer = executor.Submit(SharingWork.Consume, job);
        var producer = executor.Submit(SharingWork.Produce, job);

        Assert.Equal(Items, await producer);
        Assert.Equal(Items, await consumer);
        var counts = seen.ToArray();
        Assert.True(counts.All(c => c == 1), $"Items seen other than once: {string.Join(", ", counts.Select((c, i) => (c, i)).Where(p => p.c != 1).Take(5))}.");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Queue_TwoProducersAndTheParentReading_EveryItemOnce_AndReadAllEndsAtCompletion()
    {
        const int Each = 20_000;
        await using var executor = SharingTestKit.Processes(2);
        await SharingTestKit.WarmAsync(executor, 2);
        using var queue = SharedQueue<int>.Create(capacity: 64, slotBytes: 8);
        using var seen = SharedArray<byte>.Create(2 * Each);

        var producers = new[]
        {
            executor.Submit(SharingWork.Produce, new SharingWork.QueueJob(queue, seen, 0, Each, Complete: false)),
            executor.Submit(SharingWork.Produce, new SharingWork.QueueJob(queue, seen, Each, Each, Complete: false)),
        };
        var reading = Task.Run(async () =>
        {
            var count = 0;
            await foreach (var item in queue.Reader.ReadAllAsync())
            {
                seen[item]++;
                count++;
            }

            return count;
        });
        await Task.WhenAll(producers);
        queue.Writer.Complete();

        Assert.Equal(2 * Each, await reading);
        Assert.All(seen.ToArray(), c => Assert.Equal(1, c));
        Assert.False(queue.Writer.TryWrite(1));
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await queue.Writer.WriteAsync(1));
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await queue.Reader.ReadAsync());
    }

    [Fact]
    public void TryWrite_WhenFull_ReturnsFalse_AndAnItemTooLargeIsRefused()
    {
        using var queue = SharedQueue<string>.Create(capacity: 2, slotBytes: 16);

        Assert.True(queue.Writer.TryWrite("a"));
        Assert.True(queue.Writer.TryWrite("b"));
        Assert.False(queue.Writer.TryWrite("c"));
        Assert.Equal(2, queue.Count);
        var error = Assert.Throws<ArgumentException>(() => queue.Reader.TryRead(out _) && queue.Writer.TryWrite(new string('x', 40)));
        Assert.Contains("does not fit the shared queue's slots of 16 bytes", error.Message, StringComparison.Ordinal);
        Assert.True(queue.Reader.TryRead(out var b));
        Assert.Equal("b", b);
        Assert.False(queue.Reader.TryRead(out _));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WriteAsync_WaitsWhileFull_AndGoesOnWhenAReaderTakesAnItem()
    {
        using var queue = SharedQueue<int>.Create(capacity: 1, slotBytes: 8);
        await queue.Writer.WriteAsync(1);

        var blocked = queue.Writer.WriteAsync(2).AsTask();
        Assert.False(blocked.IsCompleted);
        Assert.Equal(1, await queue.Reader.ReadAsync());
        await blocked.WaitAsync(TestWait.Generous);
        Assert.Equal(2, await queue.Reader.ReadAsync());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ReadAsync_Cancelled_ThrowsWithTheCallersToken()
    {
        using var queue = SharedQueue<int>.Create(capacity: 4, slotBytes: 8);
        using var cts = new CancellationTokenSource();

        var reading = queue.Reader.ReadAsync(cts.Token).AsTask();
        await cts.CancelAsync();

        var error = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TestWait.Generous));
        Assert.Equal(cts.Token, error.CancellationToken);
    }
}
