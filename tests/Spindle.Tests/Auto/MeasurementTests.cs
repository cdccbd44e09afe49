using System.Globalization;
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

    [Fact]
    public void ComputingCall_OnAVirtualMachineWhoseHostTookTheCore_StillComputesAllItCould()
    {
        // 30 ms of wall time: 15 ms computing, 15 ms stolen by the hypervisor (neither CPU time nor run-queue wait).
        var m = new Measurement(WallNanoseconds: 30 * Ms, CpuNanoseconds: 15 * Ms, PreemptedNanoseconds: 0, AllocatedBytes: 0, StolenNanoseconds: 15 * Ms);

        Assert.Equal(1.0, m.CpuShare, 3);
        Assert.Equal(0.5, (m with { StolenNanoseconds = 0 }).CpuShare, 3);
    }

    [Fact]
    public void PauseAndSteal_TogetherAreTakenOutOnlyUpToTheTimeTheCallDidNotCompute()
    {
        var waiting = new Measurement(10 * Ms, 1 * Ms, 0, 0, GcPauseNanoseconds: 2 * Ms, StolenNanoseconds: 3 * Ms);
        var capped = new Measurement(10 * Ms, 6 * Ms, 0, 0, GcPauseNanoseconds: 3 * Ms, StolenNanoseconds: 3 * Ms);

        Assert.Equal(1.0 / 5, waiting.CpuShare, 3);
        Assert.Equal(1.0, capped.CpuShare, 3);
    }

    [Fact]
    public void ParseSteal_ReadsTheEighthNumberOfTheCpuLine()
    {
        var stat = "cpu  1930758 5319 167627 1310615 12641 0 10647 101609 0 0\ncpu0 972139 2749 83951 648274 7897 0 3595 50644 0 0\n"u8;

        Assert.Equal(101609, Measurement.ParseSteal(stat));
        Assert.Throws<FormatException>(() => Measurement.ParseSteal("intr 1 2 3\n"u8));
    }

    [Fact]
    public void StolenSoFar_NeverGoesBackwards()
    {
        var before = Measurement.StolenSoFar();

        Assert.True(Measurement.StolenSoFar() >= before);
        if (File.Exists("/proc/stat"))
        {
            // The real file parses to its steal column: a kernel whose /proc/stat had another shape would silently turn
            // steal off, and the readings would stay at zero while the machine reports stolen time.
            var stat = File.ReadAllText("/proc/stat");
            var column = long.Parse(System.Text.RegularExpressions.Regex.Match(stat, @"^cpu\s+(?:\d+\s+){7}(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
            Assert.Equal(column, Measurement.ParseSteal(System.Text.Encoding.ASCII.GetBytes(stat)));
            Assert.True(column == 0 || Measurement.StolenSoFar() > 0, $"The machine reports {column} ticks stolen, but the reading is zero.");
        }
    }
}
