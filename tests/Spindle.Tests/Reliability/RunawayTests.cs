using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 3 of the reliability issue: tasks that loop forever, with 200 ms timeouts, are all killed, and the executor
/// serves normal tasks throughout: the normal tasks submitted between runaways finish while later runaways still run.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed class RunawayTests(ITestOutputHelper output)
{
    private const int NormalPerRunaway = 5;

    [Fact(Timeout = Soak.Hard)]
    public async Task Submit_TasksThatLoopForever_AreAllKilledAtTheirTimeout_WhileNormalTasksKeepFinishing()
    {
        var runaways = Soak.Scale(20, 100);
        await using var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2, Output = static _ => { } });
        var timeout = new TaskOptions { Timeout = TimeSpan.FromMilliseconds(200) };
        var looping = new List<Task<int>>();
        var normal = new List<(int Input, Task<int> Task)>();
        for (var i = 0; i < runaways; i++)
        {
            looping.Add(executor.Submit(ReliabilityWork.LoopForever, i, timeout));
            for (var j = 0; j < NormalPerRunaway; j++)
            {
                var input = (i * NormalPerRunaway) + j;
                normal.Add((input, executor.Submit(ReliabilityWork.Square, input)));
            }
        }

        // Count the normal tasks done by the time the last runaway is killed.
        var lastKilled = looping[^1].ContinueWith(_ => normal.Count(static n => n.Task.IsCompletedSuccessfully), TaskScheduler.Default);
        await Task.WhenAll(looping.Concat(normal.Select(static n => n.Task)).Select(static t => t.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(Soak.Deadline);
        var doneBeforeLastKill = await lastKilled;

        foreach (var task in looping)
        {
            var error = await Assert.ThrowsAsync<TaskTimeoutException>(() => task);
            Assert.Equal(TimeSpan.FromMilliseconds(200), error.Timeout);
        }

        foreach (var (input, task) in normal)
        {
            Assert.Equal(input * input, await task);
        }

        Soak.Record(output, "runaway.killed", $"{looping.Count(static t => t.IsFaulted)} of {runaways}");
        Soak.Record(output, "runaway.normal", $"{normal.Count} all correct, {doneBeforeLastKill} of them done before the last runaway was killed");
        Assert.True(doneBeforeLastKill >= normal.Count / 2, $"Only {doneBeforeLastKill} of {normal.Count} normal tasks finished before the last runaway was killed.");
        Assert.Equal(16, await executor.Submit(ReliabilityWork.Square, 4));
    }
}
