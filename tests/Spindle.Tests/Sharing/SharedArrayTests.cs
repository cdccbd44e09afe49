using Spindle.Sharing;

namespace Spindle.Tests.Sharing;

/// <summary>Shared arrays handed to real worker processes: by handle, mapped once, written in place.</summary>
public sealed class SharedArrayTests
{
    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_OverPartitions_WorkersWriteInPlace_AndEachMapsTheSegmentOnce()
    {
        await using var executor = SharingTestKit.Processes(2);
        await SharingTestKit.WarmAsync(executor, 2);
        using var array = SharedArray<int>.Create(100_000);

        var stamps = new List<(int Pid, long Mappings)>();
        await foreach (var stamp in executor.Map(SharingWork.Stamp, array.Partition(200)))
        {
            stamps.Add(stamp);
        }

        // The parent sees what each worker wrote, in place: every element carries the pid of the worker that had its part.
        var parts = array.Partition(200);
        for (var i = 0; i < parts.Length; i++)
        {
            Assert.All(parts[i].ToArray(), value => Assert.Equal(stamps[i].Pid, value));
        }

        // 200 parts of one array cost each (fresh) worker one mapping, however many parts it was given.
        Assert.All(stamps, s => Assert.Equal(1, s.Mappings));

        Assert.DoesNotContain(0, array.ToArray());
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_SumsAPart_InAWorker()
    {
        await using var executor = SharingTestKit.Processes(2);
        using var array = SharedArray<double>.Create(Enumerable.Range(1, 1000).Select(i => (double)i).ToArray());

        var sums = await Task.WhenAll(array.Partition(2).Select(part => executor.Submit(SharingWork.Sum, part)));

        Assert.Equal([125_250.0, 375_250.0], sums);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_WorkerMakesAnArray_TheParentReadsAndOwnsIt()
    {
        await using var executor = SharingTestKit.Processes(1);

        var array = await executor.Submit(SharingWork.MakeSquares, 1000);

        Assert.True(array.IsOwner);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => i * i), array.ToArray());
        var file = array.Segment.FilePath;
        Assert.True(File.Exists(file));
        array.Dispose();
        Assert.False(File.Exists(file));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Submit_IndexOutsideThePart_FailsInTheWorker_WithoutTouchingTheRest()
    {
        await using var executor = SharingTestKit.Processes(1);
        using var array = SharedArray<int>.Create(Enumerable.Range(0, 10).ToArray());
        var part = array.Slice(2, 4);

        Assert.Equal(5, await executor.Submit(SharingWork.ReadAt, new SharingWork.Probe(part, 3)));
        var error = await Assert.ThrowsAsync<RemoteTaskException>(() => executor.Submit(SharingWork.ReadAt, new SharingWork.Probe(part, 4)));
        Assert.Contains("ArgumentOutOfRangeException", error.Message + error.RemoteType, StringComparison.Ordinal);
        Assert.Contains("Index 4 is outside the shared array of 4 elements", error.Message, StringComparison.Ordinal);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Map_OnThreads_SumsThePartsInPlace()
    {
        await using var executor = Executor.Threads();
        using var array = SharedArray<double>.Create(Enumerable.Range(1, 1000).Select(i => (double)i).ToArray());

        var sums = await executor.Map(SharingWork.Sum, array.Partition(4)).ToListAsync();

        Assert.Equal(500_500.0, sums.Sum());
    }

    [Fact]
    public void Indexer_Slice_AndPartition_AreBoundsChecked()
    {
        using var array = SharedArray<long>.Create(10);
        var slice = array.Slice(8);

        Assert.Equal(2, slice.Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => slice[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => slice[-1]);
        Assert.Throws<IndexOutOfRangeException>(() => slice.Span[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Slice(8, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => array.Slice(11));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => array.Partition(0));
        Assert.Contains("at least 1 part (was 0)", error.Message, StringComparison.Ordinal);
        Assert.Equal([4, 3, 3], array.Partition(3).Select(p => p.Length));
    }

    [Fact]
    public void SpanAndMemory_AreTheSamePages()
    {
        using var array = SharedArray<int>.Create(4);
        array.Span[1] = 7;
        array.Memory.Span[2] = 9;
        array.Slice(3).Span[0] = 11;

        Assert.Equal([0, 7, 9, 11], array.ToArray());
    }

    [Fact]
    public void Dispose_ByTheOwner_RemovesTheSegment_AndViewsRefuseAccess()
    {
        var array = SharedArray<int>.Create(16);
        var view = array.Slice(4);
        var file = array.Segment.FilePath;
        Assert.True(File.Exists(file));
        Assert.StartsWith("/dev/shm/spindle-", file, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(file)!));

        view.Dispose();
        Assert.True(File.Exists(file));
        array.Dispose();

        Assert.False(File.Exists(file));
        Assert.Throws<ObjectDisposedException>(() => view.Span.Length);
    }
}
