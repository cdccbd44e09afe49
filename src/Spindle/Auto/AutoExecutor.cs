using System.Collections.Concurrent;
using System.Reflection;
using Spindle.Auto;
using Spindle.Internal;
using Spindle.Processes;
using Spindle.Threads;

namespace Spindle;

/// <summary>
/// One executor over three lanes — I/O, CPU and processes — that routes every function: by its declared kind
/// when it has one, otherwise by measuring its first calls (CPU time against wall time, allocation rate) and a
/// sample of the rest. <see cref="Report"/> says what it measured and why it chose each lane.
/// </summary>
public sealed class AutoExecutor : Executor
{
    private readonly AutoExecutorOptions _options;
    private readonly ThreadExecutor _threads;
    private readonly ProcessExecutor _processes;
    private readonly AdaptiveConcurrency _ioControl;
    private readonly ConcurrentDictionary<MethodInfo, FunctionProfile> _profiles = new();
    private readonly ConcurrentDictionary<MethodInfo, FunctionProfile> _declared = new();

    internal AutoExecutor(AutoExecutorOptions options)
        : base(Validated(options).Name)
    {
        _options = options;
        _threads = new ThreadExecutor(new ThreadExecutorOptions { Name = options.Name, CpuThreads = options.CpuThreads, IoConcurrency = options.MinIoConcurrency });
        _processes = new ProcessExecutor(options.Processes);
        _ioControl = new AdaptiveConcurrency(_threads.Io, options.MinIoConcurrency, options.MaxIoConcurrency);
        _threads.Tracker.Changed += Tracker.NotifyChanged;
        _processes.Tracker.Changed += Tracker.NotifyChanged;
    }

    /// <inheritdoc/>
    public override Technique Technique => Technique.Auto;

    /// <summary>The I/O lane's current concurrency, as the hill-climbing left it.</summary>
    public int IoConcurrency => _threads.Io.Concurrency;

    private protected override int DefaultMaxInFlight => 2 * Math.Max(_threads.Io.Concurrency, Math.Max(_options.CpuThreads, _options.Processes.MaxWorkers));

    /// <summary>Per function: calls, measured CPU share and allocation rate, the lane chosen and the reason.</summary>
    public IReadOnlyList<FunctionReport> Report() =>
        [.. _declared.Values.Concat(_profiles.Values).Select(static p => p.Report()).OrderBy(static r => r.Function, StringComparer.Ordinal)];

    private protected override ExecutorProgress Snapshot()
    {
        var t = _threads.Progress;
        var p = _processes.Progress;
        return new ExecutorProgress(t.Queued + p.Queued, t.Running + p.Running, t.Completed + p.Completed, t.Failed + p.Failed, t.Cancelled + p.Cancelled);
    }

    private protected override Task<TResult> SubmitCore<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken)
    {
        AcceptTask();
        Task<TResult> task;
        try
        {
            if ((options.Kind ?? work.DeclaredKind) is { } kind)
            {
                NoteDeclared(work, kind, options.Kind is not null);
                task = kind switch
                {
                    WorkKind.Isolated => _processes.SubmitInternal(work, arg, options, cancellationToken),
                    WorkKind.IoBound => _threads.SubmitTo(WorkKind.IoBound, work, arg, options, cancellationToken),
                    _ => _threads.SubmitTo(WorkKind.CpuBound, work, arg, options, cancellationToken),
                };
            }
            else
            {
                task = SubmitMeasured(work, arg, options, cancellationToken);
            }
        }
        catch
        {
            ReleaseOutstanding();
            throw;
        }

        task.ContinueWith(static (_, s) => { ((AutoExecutor)s!).ReleaseOutstanding(); }, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return task;
    }

    private Task<TResult> SubmitMeasured<TArg, TResult>(Work<TArg, TResult> work, TArg arg, TaskOptions options, CancellationToken cancellationToken)
    {
        var profile = _profiles.GetOrAdd(
            work.Original.Method,
            static (m, s) => new FunctionProfile(Describe(m), s.IsAsync, CanCross(s.Original), s.Options),
            (work.IsAsync, work.Original, Options: _options));
        var lane = profile.Lane;
        if (profile.NextCallIsMeasured())
        {
            // A measured call always runs in this process (the process lane cannot be measured from here):
            // that is how a function on the process lane is noticed when its behaviour changes.
            var measured = Measured(work, profile);
            return _threads.SubmitTo(lane == Lane.Io ? WorkKind.IoBound : WorkKind.CpuBound, measured, arg, options, cancellationToken);
        }

        if (lane == Lane.Process)
        {
            try
            {
                return _processes.SubmitInternal(work, arg, options, cancellationToken);
            }
            catch (ArgumentException e)
            {
                profile.CannotCross(e.Message);
                return _threads.SubmitTo(WorkKind.CpuBound, work, arg, options, cancellationToken);
            }
        }

        return _threads.SubmitTo(lane == Lane.Io ? WorkKind.IoBound : WorkKind.CpuBound, work, arg, options, cancellationToken);
    }

    private static Work<TArg, TResult> Measured<TArg, TResult>(Work<TArg, TResult> work, FunctionProfile profile)
    {
        if (work.Sync is { } sync)
        {
            return Work<TArg, TResult>.Of((TArg a, CancellationToken token) =>
            {
                // Pause and steal are read outside the call's wall and CPU time: reading /proc/stat is not its work.
                var paused = Measurement.GcPausedSoFar();
                var stolen = Measurement.StolenSoFar();
                var wall = System.Diagnostics.Stopwatch.GetTimestamp();
                var (cpu, runnable) = ThreadCpuClock.Sample();
                var allocated = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    return sync(a, token);
                }
                finally
                {
                    var (cpuAfter, runnableAfter) = ThreadCpuClock.Sample();
                    profile.Record(new Measurement(
                        ProfilingScheduler.Elapsed(wall),
                        cpuAfter - cpu,
                        runnableAfter - runnable,
                        GC.GetAllocatedBytesForCurrentThread() - allocated,
                        Measurement.GcPausedSoFar() - paused,
                        Measurement.StolenSoFar() - stolen));
                }
            });
        }

        var async = work.Async!;
        return Work<TArg, TResult>.Of((TArg a, CancellationToken token) => ProfilingScheduler.Run(() => async(a, token), profile.Record));
    }

    private void NoteDeclared<TArg, TResult>(Work<TArg, TResult> work, WorkKind kind, bool perCall)
    {
        var profile = _declared.GetOrAdd(work.Original.Method, static (m, k) => FunctionProfile.Declared(Describe(m), k.Kind, k.PerCall, k.Options), (Kind: kind, PerCall: perCall, Options: _options));
        profile.NextCallIsMeasured();
    }

    private static bool CanCross(Delegate work)
    {
        try
        {
            FunctionRef.For(work);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Describe(MethodInfo method) => $"{method.DeclaringType?.Name}.{method.Name}";

    private protected override void CancelPending()
    {
        _threads.CancelPendingInternal();
        _processes.CancelPendingInternal();
    }

    private protected override void CancelRunning()
    {
        _threads.CancelRunningInternal();
        _processes.CancelRunningInternal();
    }

    private protected override async ValueTask StopCoreAsync()
    {
        _ioControl.Dispose();
        await _threads.ShutdownAsync();
        await _processes.ShutdownAsync();
    }

    private static AutoExecutorOptions Validated(AutoExecutorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
