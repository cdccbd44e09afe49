using System.Net.Sockets;
using FsCheck;
using FsCheck.Fluent;
using Spindle.Processes;
using Spindle.Processes.Protocol;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Item 5 of the reliability issue: a worker that sends random, truncated, oversized, mistyped and replayed frames,
/// and clients without the token. FsCheck generates the abuse (and shrinks a failure to its shortest form); for
/// every case the parent must end each task with a result, the worker's own error, or a clear error, never hang,
/// never crash, and never allocate beyond its frame cap.
/// </summary>
[Collection(ReliabilitySuite.Name)]
[Trait("Category", "Reliability")]
public sealed class ProtocolAbuseTests(ITestOutputHelper output)
{
    private const int FrameCap = 1024 * 1024;

    // Allocations the parent makes per case besides reading frames (a shell started, timers, tasks): far below
    // the oversized lengths announced (16 MB and up), so reading an announced length would show.
    private const long AllocationSlack = 8L * 1024 * 1024;

    [Fact(Timeout = Soak.Hard)]
    public async Task Parent_AbusiveFramesFromAWorker_EndEachTaskClearly_AndNeverAllocateBeyondTheCap()
    {
        var cases = Soak.Scale(60, 600);
        await using var fake = InProcessFakeWorker.Create(FrameCap);
        var outcomes = new Dictionary<string, int>();
        long maxAllocated = 0;
        var ran = 0;

        var property = Prop.ForAll(AbuseArb(), script =>
        {
            var (outcome, allocated) = Task.Run(() => RunCaseAsync(fake, script)).GetAwaiter().GetResult();
            ran++;
            maxAllocated = Math.Max(maxAllocated, allocated);
            lock (outcomes)
            {
                foreach (var o in outcome)
                {
                    outcomes[o] = outcomes.GetValueOrDefault(o) + 1;
                }
            }
        });

        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true), property)).WaitAsync(Soak.Deadline);

        // The executor still serves after all of it.
        using var honest = await fake.ConnectNextAsync();
        var last = fake.Executor.Submit(ReliabilityWork.Square, 12);
        await honest.ServeSquaresAsync(() => last.IsCompleted);
        Assert.Equal(144, await last);

        Soak.Record(output, "protocol.cases", $"{ran}");
        Soak.Record(output, "protocol.outcomes", $"{string.Join(", ", outcomes.OrderByDescending(static o => o.Value).Select(static o => $"{o.Key} {o.Value}"))}");
        Soak.Record(output, "protocol.max_allocated_mb", $"{maxAllocated / 1048576.0:0.0}");
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Parent_WorkerAnnouncesAFrameOfTheCap_AllocatesAtMostTheCap()
    {
        await using var fake = InProcessFakeWorker.Create(FrameCap);
        using var connection = await fake.ConnectNextAsync();
        var task = fake.Executor.Submit(ReliabilityWork.Square, 3);
        await connection.ReadRunsAsync(1);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        connection.Send(Frames.Announcing(FrameCap, (byte)FrameType.Result));
        connection.Dispose();
        var error = await Assert.ThrowsAsync<WorkerCrashedException>(() => task.WaitAsync(TestWait.Generous));
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Contains("its channel failed", error.Message, StringComparison.Ordinal);
        Assert.True(allocated < FrameCap + AllocationSlack, $"The parent allocated {allocated} bytes for a frame capped at {FrameCap}.");
    }

    [Fact(Timeout = Soak.Hard)]
    public async Task Parent_ClientsWithoutTheToken_AreEachRefused_AndTheExecutorKeepsServing()
    {
        var cases = Soak.Scale(40, 400);
        await using var fake = InProcessFakeWorker.Create(FrameCap);
        using (var first = await fake.ConnectNextAsync())
        {
            // A real worker connected once, so a replayed hello has a real token, id and pid to copy.
            var warm = fake.Executor.Submit(ReliabilityWork.Square, 2);
            await first.ServeSquaresAsync(() => warm.IsCompleted);
            Assert.Equal(4, await warm);
        }

        var replayable = Frames.Hello(fake.LastToken, 1, 0);
        var intrusions = Gen.OneOf(
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>()),
            Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 32).Select(static token => Frames.Hello(token, 2, Environment.ProcessId)),
            Gen.Choose(1025, int.MaxValue).Select(static n => Frames.Announcing(n, 10)),
            Gen.Choose(int.MinValue, 0).Select(static n => Frames.Announcing(n, 10)),
            Gen.Constant(replayable),
            Gen.Elements<byte>(1, 2, 3, 4, 5, 11, 12, 13, 200).Select(static type => Frames.OfType(type, 1)));

        var refusedBefore = fake.Executor.Diagnostics.RejectedConnections;
        var sent = 0;
        var property = Prop.ForAll(intrusions.ToArbitrary(), bytes =>
        {
            Task.Run(async () =>
            {
                using var intruder = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await intruder.ConnectAsync(new UnixDomainSocketEndPoint(fake.Executor.Diagnostics.SocketPath));
                if (bytes.Length > 0)
                {
                    await intruder.SendAsync(bytes);
                }

                intruder.Shutdown(SocketShutdown.Send);
                sent++;

                // Refused: the parent closes the connection without a word (a welcome would be a frame).
                var read = await intruder.ReceiveAsync(new byte[64]).WaitAsync(TestWait.Generous);
                Assert.Equal(0, read);
                await TestWait.UntilAsync(() => fake.Executor.Diagnostics.RejectedConnections - refusedBefore == sent, $"intrusion {sent} is counted as refused");
            }).GetAwaiter().GetResult();
        });

        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(cases).WithQuietOnSuccess(true), property)).WaitAsync(Soak.Deadline);

        using var honest = await fake.ConnectNextAsync();
        var task = fake.Executor.Submit(ReliabilityWork.Square, 9);
        await honest.ServeSquaresAsync(() => task.IsCompleted);
        Assert.Equal(81, await task);
        Soak.Record(output, "protocol.intruders_refused", $"{fake.Executor.Diagnostics.RejectedConnections - refusedBefore} of {sent}");
    }

    /// <summary>Two tasks sent to a fresh fake worker, which answers with the script and hangs up; how each ended, and what the parent allocated.</summary>
    private static async Task<(List<string> Outcomes, long Allocated)> RunCaseAsync(InProcessFakeWorker fake, Abuse[] script)
    {
        var connection = await fake.ConnectNextAsync();
        var tasks = new[] { fake.Executor.Submit(ReliabilityWork.Square, 5), fake.Executor.Submit(ReliabilityWork.Square, 6) };
        var runs = await connection.ReadRunsAsync(2);
        var ids = runs.Select(static r => r.TaskId).ToArray();

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var sent = new List<byte[]>();
        foreach (var abuse in script)
        {
            var bytes = abuse.Bytes(ids, sent);
            sent.Add(bytes);
            connection.Send(bytes);
        }

        connection.Dispose();

        // Tasks sent behind the running one never started: they go back to the queue, for the next worker,
        // which answers honestly. (The executor replaces the hung-up worker in any case.)
        using (var honest = await fake.ConnectNextAsync())
        {
            await honest.ServeSquaresAsync(() => tasks.All(static t => t.IsCompleted));
        }

        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        await Task.WhenAll(tasks.Select(static t => t.ContinueWith(static _ => { }, TaskScheduler.Default))).WaitAsync(TestWait.Generous);
        var outcomes = new List<string>();
        var expected = new[] { 25, 36 };
        for (var i = 0; i < tasks.Length; i++)
        {
            outcomes.Add(Describe(tasks[i], i, expected[i], script));
        }

        Assert.True(allocated < FrameCap + AllocationSlack, $"The parent allocated {allocated} bytes (cap {FrameCap}) for: {string.Join(", ", script.AsEnumerable())}");
        return (outcomes, allocated);
    }

    /// <summary>Names a task's outcome, failing the property for any outcome that is not a clear one.</summary>
    private static string Describe(Task<int> task, int index, int expected, Abuse[] script)
    {
        var context = $"Abuse: {string.Join(", ", script.AsEnumerable())}";
        if (task.IsCompletedSuccessfully)
        {
            // A garbled payload can happen to be valid MessagePack for an int, and bytes after a truncated frame or
            // random bytes can happen to frame a valid reply: a worker may lie, and a lie cannot be caught.
            var lied = script.Any(a => a is GarbledResult g && g.Task == index || a is Truncated or RandomBytes);
            Assert.True(task.Result == expected || lied, $"A task completed with {task.Result}, expected {expected}. {context}");
            return task.Result == expected ? "result" : "a wrong result that garbled bytes happened to spell";
        }

        if (task.IsCanceled)
        {
            return "cancelled";
        }

        var error = task.Exception!.InnerException!;
        switch (error)
        {
            case WorkerCrashedException crashed when crashed.Reason.StartsWith("it broke the channel's protocol (", StringComparison.Ordinal):
                return "protocol violation";
            case WorkerCrashedException crashed when crashed.Reason is "the process ended" || crashed.Reason.StartsWith("its channel failed", StringComparison.Ordinal):
                return "worker lost";
            case RemoteTaskException remote when remote.RemoteType == "System.InvalidOperationException":
                return "the worker's error";
            case InvalidOperationException unreadable when unreadable.Message.Contains("could not be read as Int32", StringComparison.Ordinal):
                return "unreadable result";
            default:
                Assert.Fail($"A task ended with an unclear error: {error.GetType().Name}: {error.Message}. {context}");
                return "";
        }
    }

    private static Arbitrary<Abuse[]> AbuseArb()
    {
        var bytes = Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>());
        var task = Gen.Choose(0, 1);
        var abuse = Gen.Frequency(
            (3, task.Select(static t => (Abuse)new ValidResult(t))),
            (1, task.Select(static t => (Abuse)new ValidError(t))),
            (1, task.Select(static t => (Abuse)new ValidCancelled(t))),
            (2, task.Zip(bytes, static (t, b) => (Abuse)new GarbledResult(t, b))),
            (2, task.Zip(Gen.Choose(-8, 64).Zip(bytes), static (t, p) => (Abuse)new GarbledError(t, p.Item1, p.Item2))),
            (2, task.Zip(Gen.Elements<byte>(0, 1, 2, 3, 4, 5, 10, 14, 99, 255), static (t, type) => (Abuse)new WrongType(t, type))),
            (2, Gen.Choose(0, 16).Select(static i => (Abuse)new Replay(i))),
            (2, bytes.Select(static b => (Abuse)new RandomBytes(b))),
            (2, task.Zip(Gen.Choose(0, 40), static (t, cut) => (Abuse)new Truncated(t, cut))),
            (2, Gen.OneOf(Gen.Choose(16 * 1024 * 1024, int.MaxValue), Gen.Choose(int.MinValue, 0)).Select(static n => (Abuse)new Oversized(n))));

        // Shrinks a failing script by dropping one step at a time, to the shortest script that still fails.
        return Arb.From(
            Gen.ArrayOf(abuse).Select(static a => a.Length == 0 ? [new RandomBytes([1])] : a),
            static script => Enumerable.Range(0, script.Length).Where(_ => script.Length > 1).Select(i => script.Where((_, j) => j != i).ToArray()));
    }

    /// <summary>One step of a script a fake worker follows; ids are the two tasks it was sent.</summary>
    private abstract record Abuse
    {
        public abstract byte[] Bytes(long[] ids, List<byte[]> sent);
    }

    private sealed record ValidResult(int Task) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Result(ids[Task], PayloadSerializer.Serialize(Task == 0 ? 25 : 36));
    }

    private sealed record ValidError(int Task) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Error(ids[Task], "System.InvalidOperationException", "the work failed");
    }

    private sealed record ValidCancelled(int Task) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Cancelled(ids[Task]);
    }

    private sealed record GarbledResult(int Task, byte[] Payload) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Result(ids[Task], Payload);

        public override string ToString() => $"GarbledResult({Task}, [{Convert.ToHexString(Payload)}])";
    }

    private sealed record GarbledError(int Task, int PartialLength, byte[] Rest) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Error(ids[Task], PartialLength, Rest);

        public override string ToString() => $"GarbledError({Task}, {PartialLength}, [{Convert.ToHexString(Rest)}])";
    }

    private sealed record WrongType(int Task, byte Type) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.OfType(Type, ids[Task]);
    }

    private sealed record Replay(int Index) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => sent.Count == 0 ? [] : sent[Index % sent.Count];
    }

    private sealed record RandomBytes(byte[] Data) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Data;

        public override string ToString() => $"RandomBytes([{Convert.ToHexString(Data)}])";
    }

    private sealed record Truncated(int Task, int Cut) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent)
        {
            var frame = Frames.Result(ids[Task], PayloadSerializer.Serialize(Task == 0 ? 25 : 36));
            return frame[..Math.Min(Cut, frame.Length - 1)];
        }
    }

    private sealed record Oversized(int Length) : Abuse
    {
        public override byte[] Bytes(long[] ids, List<byte[]> sent) => Frames.Announcing(Length, (byte)FrameType.Result);
    }
}
