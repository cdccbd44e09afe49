using System.Threading.Channels;
using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

/// <summary>The buffer between two parts of a run: bounded, and a full one wakes its writers at half, not per item.</summary>
public sealed class StageBufferTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task FullBuffer_WakesAWaitingWriterOnlyOnceDrainedToHalf()
    {
        var buffer = new StageBuffer<int>(capacity: 8);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(buffer.Writer.TryWrite(i));
        }

        var write = buffer.Writer.WriteAsync(8).AsTask();
        for (var i = 0; i < 3; i++)
        {
            Assert.True(buffer.Reader.TryRead(out _));
        }

        // A plain bounded channel would have taken the waiting item at the first read (8 buffered again).
        Assert.Equal(5, buffer.Reader.Count);
        Assert.False(write.IsCompleted);

        Assert.True(buffer.Reader.TryRead(out _));
        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(5, buffer.Reader.Count);

        // Every item came out once, in order.
        var rest = new List<int>();
        while (buffer.Reader.TryRead(out var item))
        {
            rest.Add(item);
        }

        Assert.Equal([4, 5, 6, 7, 8], rest);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task CompletedWhileAWriterWaits_TheWriteFailsAsOnAClosedChannel()
    {
        var buffer = new StageBuffer<int>(capacity: 2);
        Assert.True(buffer.Writer.TryWrite(1));
        Assert.True(buffer.Writer.TryWrite(2));
        var write = buffer.Writer.WriteAsync(3).AsTask();

        Assert.True(buffer.Writer.TryComplete());
        await Assert.ThrowsAsync<ChannelClosedException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task CancelledWhileWaiting_TheWriteIsCancelled_AndTheBufferKeepsItsItems()
    {
        var buffer = new StageBuffer<int>(capacity: 1);
        Assert.True(buffer.Writer.TryWrite(1));
        using var cts = new CancellationTokenSource();
        var write = buffer.Writer.WriteAsync(2, cts.Token).AsTask();

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.True(buffer.Reader.TryRead(out var item));
        Assert.Equal(1, item);
        Assert.False(buffer.Reader.TryRead(out _));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task DiscardingBuffer_TakesEverythingAndHoldsNothing_AndEndsWhenCompleted()
    {
        var buffer = new StageBuffer<int>(capacity: 1, discard: true);
        for (var i = 0; i < 100; i++)
        {
            Assert.True(buffer.Writer.TryWrite(i));
        }

        await buffer.Writer.WriteAsync(100);
        Assert.Equal(0, buffer.Reader.Count);
        Assert.False(buffer.Reader.TryRead(out _));

        buffer.Writer.TryComplete();
        Assert.False(await buffer.Reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await buffer.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(buffer.Writer.TryWrite(101));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WaitingLoops_EachItemWrittenWakesOne_OldestFirst()
    {
        var buffer = new StageBuffer<int>(capacity: 1);
        var first = buffer.WaitForItemAsync(CancellationToken.None);
        var second = buffer.WaitForItemAsync(CancellationToken.None);
        var third = buffer.WaitForItemAsync(CancellationToken.None);
        Assert.False(first.IsCompleted);

        Assert.True(buffer.Writer.TryWrite(1));
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(second.IsCompleted);
        Assert.False(third.IsCompleted);

        // With an item already there, a wait ends at once.
        Assert.True(buffer.WaitForItemAsync(CancellationToken.None).IsCompleted);

        // A write that had to wait for room wakes one as well, once it is written.
        var write = buffer.Writer.WriteAsync(2).AsTask();
        Assert.False(write.IsCompleted);
        Assert.True(buffer.Reader.TryRead(out var item));
        Assert.Equal(1, item);
        await write.WaitAsync(TimeSpan.FromSeconds(30));
        await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(third.IsCompleted);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task WaitingLoops_AllWakeWhenTheBufferCompletes_OrWhenWokenForAStop()
    {
        var buffer = new StageBuffer<int>(capacity: 4);
        var waits = Enumerable.Range(0, 5).Select(_ => buffer.WaitForItemAsync(CancellationToken.None)).ToArray();
        Assert.True(buffer.Writer.TryComplete());
        await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(buffer.WaitForItemAsync(CancellationToken.None).IsCompleted);

        var other = new StageBuffer<int>(capacity: 4);
        using var stop = new CancellationTokenSource();
        var stopped = Enumerable.Range(0, 3).Select(_ => other.WaitForItemAsync(stop.Token)).ToArray();
        await stop.CancelAsync();
        Assert.All(stopped, wait => Assert.False(wait.IsCompleted));
        other.WakeAllTakers();
        await Task.WhenAll(stopped).WaitAsync(TimeSpan.FromSeconds(30));

        // Once the token is cancelled, a new wait does not park.
        Assert.True(other.WaitForItemAsync(stop.Token).IsCompleted);
    }

    [Fact]
    public void BatchWrites_TakeWhatFits_AndBatchReads_KeepTheOrder_AcrossTheRingsEnd()
    {
        var buffer = new StageBuffer<int>(capacity: 5);
        Assert.Equal(3, buffer.TryWrite([1, 2, 3]));
        var taken = new List<int>();
        Assert.Equal(2, buffer.TryRead(taken, 2));

        // Two slots are free at the ring's end and two at its start: the batch wraps round, and the rest is refused.
        Assert.Equal(4, buffer.TryWrite([4, 5, 6, 7, 8, 9]));
        Assert.Equal(5, buffer.Count);
        Assert.Equal(0, buffer.TryWrite([10]));

        Assert.Equal(5, buffer.TryRead(taken, 10));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], taken);
        Assert.Equal(0, buffer.TryRead(taken, 10));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task BatchWrite_WakesOneWaitingLoopPerItem_AndACompletedBufferTakesNone()
    {
        var buffer = new StageBuffer<int>(capacity: 8);
        var waits = Enumerable.Range(0, 3).Select(_ => buffer.WaitForItemAsync(CancellationToken.None)).ToArray();
        Assert.Equal(2, buffer.TryWrite([1, 2]));
        await Task.WhenAll(waits[0], waits[1]).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(waits[2].IsCompleted);

        Assert.True(buffer.TryComplete());
        await waits[2].WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, buffer.TryWrite([3]));
        Assert.False(buffer.IsDrained);
        Assert.False(buffer.Reader.Completion.IsCompleted);

        var rest = new List<int>();
        Assert.Equal(2, buffer.TryRead(rest, 8));
        Assert.True(buffer.IsDrained);
        await buffer.Reader.Completion.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task BatchRead_DrainingAFullBufferToHalf_WakesTheWaitingWriter()
    {
        var buffer = new StageBuffer<int>(capacity: 4);
        Assert.Equal(4, buffer.TryWrite([1, 2, 3, 4]));
        var write = buffer.Writer.WriteAsync(5).AsTask();
        var taken = new List<int>();
        Assert.Equal(1, buffer.TryRead(taken, 1));
        Assert.False(write.IsCompleted);

        Assert.Equal(2, buffer.TryRead(taken, 2));
        await write.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, buffer.TryRead(taken, 4));
        Assert.Equal([1, 2, 3, 4, 5], taken);
    }

    [Fact]
    public void LargeCapacity_CostsMemoryOnlyAsItFills_AndGrowingKeepsTheOrder()
    {
        // A bound of int.MaxValue is accepted and allocates nothing like it up front.
        var huge = new StageBuffer<int>(capacity: int.MaxValue);
        Assert.True(huge.TryWrite(1));
        Assert.True(huge.TryRead(out var one));
        Assert.Equal(1, one);

        // Reads first move the ring's start, so that the growth copies a ring that wraps round.
        var buffer = new StageBuffer<int>(capacity: 1_000);
        var taken = new List<int>();
        var next = 0;
        for (var round = 0; round < 10; round++)
        {
            for (var i = 0; i < 30; i++)
            {
                Assert.True(buffer.TryWrite(next++));
            }

            var batch = Enumerable.Range(next, 70).ToArray();
            Assert.Equal(70, buffer.TryWrite(batch));
            next += 70;
            Assert.Equal(10, buffer.TryRead(taken, 10));
        }

        Assert.Equal(900, buffer.Count);
        Assert.Equal(100, buffer.TryWrite(Enumerable.Range(next, 200).ToArray()));
        Assert.False(buffer.TryWrite(-1));
        Assert.Equal(1_000, buffer.TryRead(taken, int.MaxValue));
        Assert.Equal(Enumerable.Range(0, 1_100), taken);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task AReadWaitGivenUp_IsCancelled_AndDoesNotTakeTheWakeOfAWaiterBehindIt()
    {
        var buffer = new StageBuffer<int>(capacity: 4);
        using var cts = new CancellationTokenSource();
        var givenUp = buffer.Reader.WaitToReadAsync(cts.Token).AsTask();
        var waiting = buffer.WaitForItemAsync(CancellationToken.None);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => givenUp.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(buffer.TryWrite(1));
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(await buffer.Reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
    }
}

