using Spindle.Processes;
using Spindle.Tests.Reliability;

namespace Spindle.Tests.Processes;

/// <summary>How the process executor spreads queued tasks over its workers' pipelines.</summary>
public sealed class DispatchShareTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_WorkersWithVeryDifferentDepths_NoPipelineTakesMoreThanItsShare()
    {
        await using var fake = InProcessFakeWorker.Create(1024 * 1024, maxWorkers: 2);
        using var quick = await fake.ConnectNextAsync();
        using var slow = await fake.ConnectNextAsync();
        var executor = fake.Executor;

        // The first worker answers tiny tasks (its pipeline grows to its deepest), the second one slow task (its
        // pipeline shrinks to one): a tie goes to the first worker, so two tasks at once reach one each.
        for (var i = 0; i < 8; i++)
        {
            var tiny = executor.Submit(ReliabilityWork.Square, i);
            var run = (await quick.ReadRunsAsync(1))[0];
            quick.Send(Frames.Result(run.TaskId, PayloadSerializer.Serialize(i * i), elapsedTicks: 100));
            Assert.Equal(i * i, await tiny.WaitAsync(TestWait.Generous));
        }

        var pair = new[] { executor.Submit(ReliabilityWork.Square, 1), executor.Submit(ReliabilityWork.Square, 2) };
        var toQuick = (await quick.ReadRunsAsync(1))[0];
        var toSlow = (await slow.ReadRunsAsync(1))[0];
        slow.Send(Frames.Result(toSlow.TaskId, PayloadSerializer.Serialize(4), elapsedTicks: TimeSpan.FromMilliseconds(50).Ticks));
        quick.Send(Frames.Result(toQuick.TaskId, PayloadSerializer.Serialize(1), elapsedTicks: 100));
        var pairResults = await Task.WhenAll(pair).WaitAsync(TestWait.Generous);
        Assert.Equal([1, 4], pairResults);

        // Forty tasks at once: the deep pipeline takes its share (20), the shallow one one; the other 19 wait in the
        // executor's queue for whichever worker frees first, instead of 39 queued behind one worker.
        var forty = Enumerable.Range(0, 40).Select(i => executor.Submit(ReliabilityWork.Square, i)).ToArray();
        var quickRuns = await quick.ReadRunsAsync(20);
        var slowRuns = await slow.ReadRunsAsync(1);

        // Read without the gate: a test's poll of one count, settled once both workers hold their runs.
        await TestWait.UntilAsync(() => executor.PendingCountLocked == 19, "19 tasks wait in the executor's queue");

        // Both answer what they hold, in order, then serve what they are sent: every task ends, each once.
        foreach (var run in quickRuns.Concat(slowRuns))
        {
            var connection = quickRuns.Contains(run) ? quick : slow;
            var x = PayloadSerializer.Deserialize<int>(run.Payload);
            connection.Send(Frames.Result(run.TaskId, PayloadSerializer.Serialize(x * x), elapsedTicks: 100));
        }

        var all = Task.WhenAll(forty);
        var served = new[] { quick.ServeSquaresAsync(() => all.IsCompleted), slow.ServeSquaresAsync(() => all.IsCompleted) };
        Assert.Equal(Enumerable.Range(0, 40).Select(i => i * i), await all.WaitAsync(TestWait.Generous));
        await Task.WhenAll(served).WaitAsync(TestWait.Generous);
    }
}
