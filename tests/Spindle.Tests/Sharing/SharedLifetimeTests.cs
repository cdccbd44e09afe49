using Spindle.Sharing;
using Spindle.Tests.Processes;

namespace Spindle.Tests.Sharing;

/// <summary>Nothing shared outlives its owner: Dispose removes a segment, and a parent's death removes them all.</summary>
public sealed class SharedLifetimeTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Parent_Sigkilled_LeavesNoSegment_NorTheDirectory()
    {
        using var parent = ProcessProbe.StartDummy("shared");
        var root = await ProcessProbe.ReadLineStartingWith(parent, "root:");
        var segments = int.Parse(await ProcessProbe.ReadLineStartingWith(parent, "segments:"), System.Globalization.CultureInfo.InvariantCulture);
        await ProcessProbe.ReadLineStartingWith(parent, "ready");

        // The parent's array, queue and lock, and the array its worker made, all live in its directory.
        Assert.Equal(4, segments);
        Assert.StartsWith($"/dev/shm/spindle-{parent.Id}-", root, StringComparison.Ordinal);
        parent.Kill();

        await TestWait.UntilAsync(() => !Directory.Exists(root), $"the SIGKILLed parent's segment directory {root} is removed", TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Parent_ExitingWithoutDisposing_LeavesNoSegment()
    {
        using var parent = ProcessProbe.StartDummy("shared", "exit");
        var root = await ProcessProbe.ReadLineStartingWith(parent, "root:");
        await parent.WaitForExitAsync();

        await TestWait.UntilAsync(() => !Directory.Exists(root), $"the exited parent's segment directory {root} is removed", TimeSpan.FromSeconds(5));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task NewParent_RemovesTheDirectoryOfADeadProcess_WhoseJanitorDiedWithIt()
    {
        // A process tree killed at once (janitor included) leaves its directory: made here by hand for a pid now dead.
        using var gone = ProcessProbe.StartDummy("exit", "0");
        await gone.WaitForExitAsync();
        var stale = $"/dev/shm/spindle-{gone.Id}-{SegmentName.New()}";
        Directory.CreateDirectory(stale, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await File.WriteAllBytesAsync(Path.Combine(stale, SegmentName.New()), new byte[8192]);

        using var parent = ProcessProbe.StartDummy("shared", "exit");
        await ProcessProbe.ReadLineStartingWith(parent, "root:");

        Assert.False(Directory.Exists(stale));
    }

    [Fact]
    public void Dispose_OfEachSharedObject_RemovesItsSegment()
    {
        var array = SharedArray<int>.Create(10);
        var queue = SharedQueue<int>.Create(4);
        var sharedLock = SharedLock.Create();
        var shared = SharedEvent.Create();
        var counter = SharedCounter.Create();
        var files = new[] { array.Segment, queue.Segment, sharedLock.Segment, shared.Segment, counter.Segment }.Select(s => s.FilePath).ToArray();
        Assert.All(files, f => Assert.True(File.Exists(f)));

        array.Dispose();
        queue.Dispose();
        sharedLock.Dispose();
        shared.Dispose();
        counter.Dispose();

        Assert.All(files, f => Assert.False(File.Exists(f), $"{f} is left after Dispose."));
    }
}
