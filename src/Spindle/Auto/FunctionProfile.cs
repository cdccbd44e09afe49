using System.Globalization;

namespace Spindle.Auto;

/// <summary>
/// What Auto knows about one undeclared function: its measured calls and the lane they point to. The first
/// calls are all measured; after that a sample keeps a moving average, so a change of behaviour re-routes it.
/// </summary>
internal sealed class FunctionProfile
{
    private const double Smoothing = 0.3;

    /// <summary>The CPU share from which async work is better off on the CPU lane than on the I/O lane.</summary>
    private const double AsyncCpuLaneFrom = 0.9;
    private readonly object _lock = new();
    private readonly AutoExecutorOptions _options;
    private long _calls;
    private long _measured;
    private double _cpuShare;
    private double _allocationRate;
    private bool _classified;
    private bool _declaredKind;
    private bool _isAsync;

    public FunctionProfile(string name, bool isAsync, bool canCrossProcesses, AutoExecutorOptions options)
    {
        Name = name;
        _isAsync = isAsync;
        _options = options;
        CanCrossProcesses = canCrossProcesses;

        // Until measured, the work's own shape is the best guess: async work waits, sync work computes.
        Lane = isAsync ? Lane.Io : Lane.Cpu;
        Reason = isAsync ? "not measured yet; async work starts on the I/O lane" : "not measured yet; synchronous work starts on the CPU lane";
    }

    public string Name { get; }

    /// <summary>A profile for a function whose kind was declared: never measured, routed by the declaration.</summary>
    public static FunctionProfile Declared(string name, WorkKind kind, bool perCall, AutoExecutorOptions options)
    {
        var source = perCall ? "TaskOptions.Kind" : "its [WorkKind] attribute";
        var profile = new FunctionProfile(name, isAsync: false, canCrossProcesses: kind == WorkKind.Isolated, options)
        {
            Lane = kind switch { WorkKind.IoBound => Lane.Io, WorkKind.CpuBound => Lane.Cpu, _ => Lane.Process },
            Reason = kind == WorkKind.Isolated
                ? $"declared {kind} by {source}: isolated work always runs in a worker process"
                : $"declared {kind} by {source}, which overrides measurement",
        };
        profile._classified = true;
        profile._declaredKind = true;
        return profile;
    }

    public bool CanCrossProcesses { get; set; }

    public Lane Lane { get; private set; }


    public string Reason { get; private set; }


    public int Reroutes { get; private set; }

    /// <summary>Counts a call and says whether to measure it.</summary>
    public bool NextCallIsMeasured()
    {
        var call = Interlocked.Increment(ref _calls);
        return !_declaredKind && (!Volatile.Read(ref _classified) || call % _options.SampleEvery == 0);
    }

    public void Record(Measurement m)
    {
        if (m.WallNanoseconds <= 0)
        {
            return;
        }

        lock (_lock)
        {
            var share = m.CpuShare;
            var rate = m.CpuNanoseconds > 0 ? m.AllocatedBytes / (m.CpuNanoseconds / 1e9) : 0;
            _measured++;

            // A plain average over the profiling calls, then an exponential moving average over samples.
            var weight = _measured <= _options.ProfileCalls ? 1.0 / _measured : Smoothing;
            _cpuShare += weight * (share - _cpuShare);
            _allocationRate += weight * (rate - _allocationRate);
            if (_measured >= _options.ProfileCalls)
            {
                Classify();
            }
        }
    }

    /// <summary>The process lane refused the work (an argument that cannot be serialized): keep it in-process.</summary>
    public void CannotCross(string why)
    {
        lock (_lock)
        {
            CanCrossProcesses = false;
            if (Lane == Lane.Process)
            {
                Lane = Lane.Cpu;
                Reason = $"allocation-heavy, but it cannot run in a worker process ({why}), so the CPU lane";
            }
        }
    }

    public FunctionReport Report()
    {
        lock (_lock)
        {
            return new FunctionReport(Name, Interlocked.Read(ref _calls), _measured, _cpuShare, _allocationRate, Lane, Reason, Reroutes);
        }
    }

    private void Classify()
    {
        var share = _cpuShare.ToString("P0", CultureInfo.InvariantCulture);
        var rate = (_allocationRate / 1e6).ToString("0", CultureInfo.InvariantCulture);
        Lane lane;
        string reason;
        if (_cpuShare < _options.IoBoundBelowCpuShare)
        {
            lane = Lane.Io;
            reason = $"CPU share {share}: mostly waiting, so the I/O lane";
        }
        else if (_isAsync && _cpuShare < AsyncCpuLaneFrom)
        {
            // On the CPU lane an async call holds its thread through every await; unless it hardly waits at all,
            // the I/O lane (whose pieces of computing still run in parallel on the pool) serves it better.
            lane = Lane.Io;
            reason = $"CPU share {share}, but async work that still waits would hold a CPU-lane thread while waiting, so the I/O lane";
        }
        else if (_allocationRate >= _options.AllocationHeavyBytesPerCpuSecond)
        {
            if (_options.AllocationHeavyToProcesses && CanCrossProcesses)
            {
                lane = Lane.Process;
                reason = $"CPU share {share} and {rate} MB allocated per CPU-second: separate GC heaps measured faster here, so the process lane";
            }
            else
            {
                lane = Lane.Cpu;
                reason = _options.AllocationHeavyToProcesses
                    ? $"CPU share {share} and {rate} MB allocated per CPU-second, but it cannot run in a worker process, so the CPU lane"
                    : $"CPU share {share} and {rate} MB allocated per CPU-second; separate processes measured no faster for that here, so the CPU lane";
            }
        }
        else
        {
            lane = Lane.Cpu;
            reason = $"CPU share {share}: mostly computing, so the CPU lane";
        }

        if (Volatile.Read(ref _classified) && lane != Lane)
        {
            Reroutes++;
            reason = $"re-routed from the {LaneName(Lane)} lane after {_measured} measured calls: {reason}";
        }
        else if (Volatile.Read(ref _classified) && lane == Lane)
        {
            // Same lane: keep the reason that explains how it got there, refreshed with the new figures.
            reason = Reroutes > 0 ? $"re-routed {Reroutes} time(s); now {reason}" : reason;
        }

        Lane = lane;
        Reason = reason;
        Volatile.Write(ref _classified, true);
    }

    private static string LaneName(Lane lane) => lane switch
    {
        Lane.Io => "I/O",
        Lane.Cpu => "CPU",
        _ => "process",
    };
}
