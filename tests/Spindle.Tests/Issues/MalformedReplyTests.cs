using Spindle.Processes;
using Spindle.Processes.Protocol;
using Spindle.Tests.Reliability;

namespace Spindle.Tests.Issues;

/// <summary>
/// Found by the protocol fuzzer (Reliability/ProtocolAbuseTests): a reply for the running task that was malformed
/// after its task id (an unknown frame type, a bad partial-results length, a garbled error record) either left
/// the task waiting forever or threw on the parent's reader thread, which ends the parent.
/// </summary>
[Collection(ReliabilitySuite.Name)]
public sealed class MalformedReplyTests
{
    public static TheoryData<string> Replies => new() { "unknown-type", "parent-type", "bad-partial-length", "garbled-error", "garbled-error-in-batch" };

    [Theory(Timeout = TestWait.Hard)]
    [MemberData(nameof(Replies))]
    public async Task Reply_MalformedAfterItsTaskId_FailsTheTaskAsAProtocolViolation(string reply)
    {
        await using var fake = InProcessFakeWorker.Create(1024 * 1024);
        using var connection = await fake.ConnectNextAsync();
        var task = reply == "garbled-error-in-batch"
            ? DrainMap(fake.Executor.Map(ReliabilityWork.Square, [1, 2, 3], new MapOptions { BatchSize = 3 }))
            : fake.Executor.Submit(ReliabilityWork.Square, 3);
        var id = (await connection.ReadRunsAsync(1))[0].TaskId;

        connection.Send(reply switch
        {
            "unknown-type" => Frames.OfType(99, id),
            "parent-type" => Frames.OfType((byte)FrameType.Run, id),
            "bad-partial-length" => Frames.Error(id, 1000, [1, 2]),
            _ => Frames.Error(id, 0, [0x94, 0xc1, 0xc1]),
        });

        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => task.WaitAsync(TestWait.Generous));
        Assert.Contains("broke the channel's protocol", error.Message, StringComparison.Ordinal);
        Assert.Equal(reply == "garbled-error-in-batch" ? 3 : 1, fake.Executor.Progress.Failed);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Reply_GarbledPartialResultsOfABatch_FailsTheMapClearly()
    {
        await using var fake = InProcessFakeWorker.Create(1024 * 1024);
        using var connection = await fake.ConnectNextAsync();
        var map = DrainMap(fake.Executor.Map(ReliabilityWork.Square, [1, 2, 3], new MapOptions { BatchSize = 3 }));
        var id = (await connection.ReadRunsAsync(1))[0].TaskId;

        var partial = new byte[] { 0x93, 0xc1 };
        var error = new RemoteError("System.InvalidOperationException", "the work failed", null, []).ToBytes();
        connection.Send(Frames.Error(id, partial.Length, [.. partial, .. error]));

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => map.WaitAsync(TestWait.Generous));
        Assert.Contains("could not be read", failure.Message, StringComparison.Ordinal);
    }

    private static async Task<int> DrainMap(IAsyncEnumerable<int> map)
    {
        var count = 0;
        await foreach (var _ in map)
        {
            count++;
        }

        return count;
    }
}
