using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineBackpressureTests
{
    [Theory(Timeout = TestWait.Hard)]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_TenMillionItemSourceAndASlowConsumer_PullsOnlyABoundedNumber(bool keepOrder)
    {
        const int Capacity = 8;
        long pulled = 0;
        var source = Enumerable.Range(0, 10_000_000).Select(i =>
        {
            Interlocked.Increment(ref pulled);
            return i;
        });

        await using var run = Pipeline.From(source, new PipelineOptions { Name = "backpressure", BufferCapacity = Capacity })
            .Then("double", PipelineWork.Twice, new StageOptions { Parallelism = 2, KeepOrder = keepOrder })
            .Then("echo", PipelineWork.Echo, new StageOptions { Parallelism = 4, KeepOrder = keepOrder })
            .Start();

        var consumed = 0;
        await using (var reader = run.GetAsyncEnumerator())
        {
            while (consumed < 100 && await reader.MoveNextAsync())
            {
                consumed++;
            }

            // Writers into a full buffer wait until it is down to half, so with the consumer stopped every buffer
            // ends between half and full and nothing moves until the consumer reads again. No buffer ever holds
            // more than its capacity, so this is the most the pipeline ever pulls ahead of its consumer.
            await TestWait.UntilAsync(
                () => run.Progress is { ResultsBuffered: > Capacity / 2 } p && p.Stages.All(s => s.Buffered > Capacity / 2),
                "every buffer is more than half full");

            // Consumed + three buffers + what each stage holds + one item in the source pump.
            var bound = consumed + (3 * Capacity) + StageHolds(2, Capacity) + StageHolds(4, Capacity) + 1;
            Assert.InRange(Interlocked.Read(ref pulled), consumed, bound);
        }

        Assert.InRange(Interlocked.Read(ref pulled), consumed, 1_000);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Start_SlowMiddleStage_FillsTheBufferInFrontOfIt()
    {
        var gate = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var run = Pipeline.From(Enumerable.Range(0, 1_000), new PipelineOptions { BufferCapacity = 4 })
            .Then("fast", PipelineWork.Twice, new StageOptions { Parallelism = 1 })
            .Then("stuck", async (int x) => await gate.Task + x, new StageOptions { Parallelism = 1, BufferCapacity = 16 })
            .Start();

        // The stuck stage holds one item. If its loop took it only after the buffer had filled, the buffer stays one
        // short of full: a writer into a full buffer waits until it is down to half.
        await TestWait.UntilAsync(
            () => run.Progress.Stages[1] is { Running: 1, Buffered: >= 15 },
            "the stuck stage holds its item and the buffer in front of it is full");
        var progress = run.Progress;
        Assert.InRange(progress.Stages[1].BufferFill, 15.0 / 16, 1);
        Assert.InRange(progress.SourcePulled, 16, 16 + 1 + StageHolds(1, 4) + 4 + 1);
        gate.SetResult(0);
    }

    /// <summary>
    /// The most items a stage holds between its input and output buffers: at most twice its parallelism takes (the
    /// order window), each of one item or of a batch of at most a parallel share of what its input buffer held.
    /// </summary>
    private static int StageHolds(int parallelism, int inputCapacity) =>
        2 * parallelism * Math.Max(1, (inputCapacity + 1) / parallelism);
}
