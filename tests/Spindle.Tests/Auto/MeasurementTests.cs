using Spindle.Auto;

namespace Spindle.Tests.Auto;

/// <summary>How one measured call's figures become its CPU share, the figure Auto routes by.</summary>
public sealed class MeasurementTests
{
    private const long Ms = 1_000_000;

    [Fact]
    public void ComputingCall_PausedByAnotherThreadsCollection_StillComputesAllItCould()
    {
        // 10 ms of wall time: 5 ms computing, 5 ms suspended by a garbage collection that another thread started.
        var m = new Measurement(WallNanoseconds: 10 * Ms, CpuNanoseconds: 5 * Ms, PreemptedNanoseconds: 0, AllocatedBytes: 0, GcPauseNanoseconds: 5 * Ms);

        Assert.Equal(1.0, m.CpuShare, 3);
        Assert.Equal(0.5, (m with { GcPauseNanoseconds = 0 }).CpuShare, 3);
    }

    [Fact]
    public void WaitingCall_DuringACollection_StillLooksLikeWaiting()
    {
        var m = new Measurement(WallNanoseconds: 10 * Ms, CpuNanoseconds: 0, PreemptedNanoseconds: 0, AllocatedBytes: 0, GcPauseNanoseconds: 4 * Ms);

        Assert.Equal(0.0, m.CpuShare, 3);
    }

    [Fact]
    public void Pause_IsTakenOutOnlyUpToTheTimeTheCallDidNotCompute()
    {
        // A pause longer than the call's idle time (as when it overlapped the call only in part) cannot make the
        // share exceed 1, and a shorter one is taken out whole: 2 ms of CPU over the 7 ms not paused nor preempted.
        var capped = new Measurement(10 * Ms, 4 * Ms, 0, 0, GcPauseNanoseconds: 8 * Ms);
        var partial = new Measurement(10 * Ms, 2 * Ms, PreemptedNanoseconds: 1 * Ms, 0, GcPauseNanoseconds: 2 * Ms);

        Assert.Equal(1.0, capped.CpuShare, 3);
        Assert.Equal(2.0 / 7, partial.CpuShare, 3);
    }

    [Fact]
    public void GcPausedSoFar_GrowsWithABlockingCollection()
    {
        var before = Measurement.GcPausedSoFar();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);

        Assert.True(Measurement.GcPausedSoFar() > before, "a blocking collection adds its pause to the process's total");
    }
}
