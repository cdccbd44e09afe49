using System.Diagnostics;
using Spindle.Internal;

namespace Spindle.Tests.Internal;

public class BatchSizerTests
{
    private static readonly long s_microsecond = Stopwatch.Frequency / 1_000_000;

    [Fact]
    public void Next_BeforeAnyMeasurement_IsOne()
    {
        var sizer = new BatchSizer(BatchSizing.CpuLaneMap(threads: 2, maxInFlight: 1 << 20));

        Assert.Equal(1, sizer.Next());
        Assert.Equal(1, sizer.Next());
        Assert.Equal(0, sizer.TicksPerItem);
    }

    [Fact]
    public void Next_GrowsAtMostByItsTechniquesFactor_UpToTheTargetsFit()
    {
        // 1 µs items against a 100 µs target fit 100 per batch; a CPU lane batch at most doubles on the last one.
        var sizer = new BatchSizer(BatchSizing.CpuLaneMap(threads: 2, maxInFlight: 1 << 20));
        sizer.Record(10, 10 * s_microsecond);

        var sizes = Enumerable.Range(0, 9).Select(_ => sizer.Next()).ToArray();

        Assert.Equal([2, 4, 8, 16, 32, 64, 100, 100, 100], sizes);
    }

    [Fact]
    public void Next_ForProcesses_GrowsEightfold_AndForgetsAColdFirstBatch()
    {
        var sizer = new BatchSizer(BatchSizing.ProcessMap(workers: 2, maxInFlight: 1 << 20));

        // A first batch slowed by the JIT, then the real time per item: only the last batch counts.
        sizer.Record(1, 5_000 * s_microsecond);
        Assert.Equal(1, sizer.Next());
        sizer.Record(100, 100 * s_microsecond);

        Assert.Equal(8, sizer.Next());
        Assert.Equal(64, sizer.Next());
        Assert.Equal(512, sizer.Next());
        Assert.Equal(4096, sizer.Next());
        Assert.Equal(5000, sizer.Next());
    }

    [Fact]
    public void Next_ShrinksAtOnce_WhenItemsTurnSlow()
    {
        var sizer = new BatchSizer(BatchSizing.ProcessMap(workers: 2, maxInFlight: 1 << 20));
        sizer.Record(1000, 1000 * s_microsecond);
        for (var i = 0; i < 6; i++)
        {
            sizer.Next();
        }

        sizer.Record(1, 10_000 * s_microsecond);

        Assert.Equal(1, sizer.Next());
    }

    [Fact]
    public void Next_KeepsAFairShareOfTheWindowPerWorker()
    {
        // 64 items in flight over 2 threads: at most 16 a batch, however cheap the items.
        var sizer = new BatchSizer(BatchSizing.CpuLaneMap(threads: 2, maxInFlight: 64));
        sizer.Record(1000, 1);

        var largest = Enumerable.Range(0, 20).Select(_ => sizer.Next()).Max();

        Assert.Equal(16, largest);
    }

    [Fact]
    public void Next_HonoursTheCallersLimit_AndAFixedSize()
    {
        var stage = new BatchSizer(BatchSizing.Stage);
        stage.Record(1, 1);
        Assert.Equal(64, stage.Next());
        Assert.Equal(3, stage.Next(limit: 3));

        var fixedSize = new BatchSizer(BatchSizing.CpuLaneMap(threads: 2, maxInFlight: 64), fixedSize: 500);
        fixedSize.Record(1, 1_000_000 * s_microsecond);
        Assert.Equal(500, fixedSize.Next());
    }

    [Fact]
    public void Record_SmoothsByItsTechniquesWeight()
    {
        // A stage weighs a new batch at 1/8: 8 µs, then 16 µs, averages to 9 µs an item.
        var sizer = new BatchSizer(BatchSizing.Stage);
        sizer.Record(1, 8 * s_microsecond);
        sizer.Record(1, 16 * s_microsecond);

        Assert.Equal(9 * s_microsecond, sizer.TicksPerItem);
    }
}
