using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>One run: its slot threads, the jobs they run, and when it stops.</summary>
/// <remarks>
/// What it hands off: <see cref="JobDispatcher"/> picks each slot's next job, <see cref="JobTally"/> counts them and
/// makes --halt's decisions, <see cref="JobTimeouts"/> arms --timeout, and <see cref="JobReporter"/> writes what the
/// user sees.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class JobRun : IDisposable
{
    private readonly ValidatedJobRun _plan;
    private readonly JobRunOptions _options;
    private readonly CancellationToken _token;
    private readonly CommandTemplate _template;
    private readonly JobTag? _tag;
    private readonly JobReporter _reporter;
    private readonly JobTally _tally;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly JobTimeouts _timeouts;
    private readonly bool _readsStandardInput;
    private readonly JobOutputMode _mode;
    // The dispatcher's callbacks, made once rather than per job.
    private readonly Func<bool> _isStopping;
    private readonly Action<long> _onSkipped;
    private readonly Action _onTaken;

    // Guards the tally, the running-job table, the thread and in-flight counts and halt decisions; never held
    // while doing I/O. Slot-thread start-up is guarded by the dispatcher's lock instead (see TakeNext).
    private readonly Lock _state = new();
    private readonly Dictionary<int, RunningJob> _running = [];

    private JobDispatcher? _dispatcher;
    private int _inFlight;
    private int _threadsStarted;
    private int _threadsLive;
    private volatile bool _stopping;
    private bool _stoppingKill;
    private JobSpawner? _spawner;
    private Exception? _fault;

    public JobRun(ValidatedJobRun plan, CancellationToken token)
    {
        _plan = plan;
        _options = plan.Options;
        _token = token;
        _template = plan.Template();
        _reporter = new JobReporter(_options);
        _tally = new JobTally(plan.Halt);
        _tag = JobTag.For(_options);
        _timeouts = new JobTimeouts(plan.Timeout, plan.TimeoutFraction);
        // Keep-order and --results need each job's whole output, so they capture it as grouped mode does.
        _mode = _options.KeepOrder || _options.ResultsDirectory is not null ? JobOutputMode.Group : _options.OutputMode;
        _readsStandardInput = (_options.Inputs.Count == 0 && _options.PipePart is null) || _options.Inputs.Any(i => i.Reader is not null || i.Path == "-");
        _isStopping = () => _stopping;
        _onSkipped = OnSkipped;
        _onTaken = OnTaken;
    }

    /// <summary>Completes when the run is over: every slot thread has exited, or it was stopped and no job runs.</summary>
    public Task Done => _done.Task;

    /// <summary>Opens the inputs and the job log and starts the first slot thread; the registration stops the run on cancellation.</summary>
    public CancellationTokenRegistration Start()
    {
        var resumeSet = _plan.ResumeSet();
        // A percentage halt is a share of all jobs, and a bar and --plus's {##} need the total: all read every input first.
        var inputs = _plan.Inputs(_template, _tag, _options.ReadInputsFirst || _plan.Halt.IsPercent, out var total);
        _tally.Total = total;

        _reporter.Open();
        foreach (var warning in _plan.Remote?.SendBaseFiles(_token) ?? [])
        {
            _reporter.Message(warning);
        }

        _spawner = new JobSpawner(_options.Shell);
        _dispatcher = new JobDispatcher(inputs, resumeSet, _options.Delay, _plan.Gate(), _token);
        var registration = _token.Register(() => Stop(kill: true));
        try
        {
            _dispatcher.Locked(StartSlotThread);
        }
        catch
        {
            registration.Dispose();
            _reporter.Dispose();
            throw;
        }

        return registration;
    }

    /// <summary>How the run ended; call once <see cref="Done"/> has completed.</summary>
    public JobRunResult Result()
    {
        _reporter.Dispose();
        foreach (var warning in _plan.Remote?.RemoveBaseFiles(CancellationToken.None) ?? [])
        {
            _reporter.Message(warning);
        }

        if (_fault is not null)
        {
            throw new InvalidOperationException($"spindle run failed: {_fault.Message}", _fault);
        }

        _token.ThrowIfCancellationRequested();
        lock (_state)
        {
            return _tally.Result();
        }
    }

    // Called under the dispatcher's lock.
    private void StartSlotThread()
    {
        var slot = ++_threadsStarted;
        lock (_state)
        {
            _threadsLive++;
        }

        var thread = new Thread(() => SlotLoop(slot))
        {
            IsBackground = true,
            Name = $"spindle run slot {slot}",
        };
        thread.Start();
    }

    private void SlotLoop(int slot)
    {
        try
        {
            while (_dispatcher!.TakeNext(_isStopping, _onSkipped, _onTaken) is { } job)
            {
                RunJob(job.Seq, job.Input, slot);
            }
        }
        catch (Exception e)
        {
            // An I/O failure of our own (not a job's): stop the run and report it.
            lock (_state)
            {
                _fault ??= e;
            }

            Stop(kill: true);
        }
        finally
        {
            lock (_state)
            {
                _threadsLive--;
                CheckDone();
            }
        }
    }

    // A job that the job log shows as done (--resume): counted, and passed over by -k. Called under the dispatcher's lock.
    private void OnSkipped(long seq)
    {
        lock (_state)
        {
            _tally.JobSkipped();
        }

        _reporter.Skip(seq);
    }

    // A job was taken: it is in flight, and another slot thread starts while there are slots left (so that three
    // inputs never start 256 threads). Called under the dispatcher's lock.
    private void OnTaken()
    {
        lock (_state)
        {
            _inFlight++;
        }

        if (_threadsStarted < _plan.Slots)
        {
            StartSlotThread();
        }
    }

    private void RunJob(long seq, JobInput input, int slot)
    {
        using var stdin = input.Stdin;
        var args = input.Args;
        var launch = _template.Render(args, seq, slot);
        // On a remote slot, ssh (and rsync) run the command; the job log and messages still show the command.
        var run = _plan.Remote is { } remote ? remote.Wrap(launch, args, seq, slot) : launch;
        var tag = _tag?.Text(args, seq, slot) ?? "";
        lock (_state)
        {
            _tally.JobStarted();
        }

        Report();
        var attempts = Math.Max(1, _options.Retries);
        JobAttempt attempt = default;
        for (var i = 0; i < attempts; i++)
        {
            attempt.Dispose();
            attempt = RunOnce(run, seq, slot, tag, stdin);
            if (attempt.Succeeded || _stopping)
            {
                break;
            }
        }

        try
        {
            Finish(seq, slot, args, tag, launch, attempt);
        }
        finally
        {
            // The sink disposed the output once it wrote it; this covers the paths that never reach it.
            attempt.Dispose();
            lock (_state)
            {
                _inFlight--;
                CheckDone();
            }
        }
    }

    private JobAttempt RunOnce(JobLaunch launch, long seq, int slot, string tag, PipeChunk? stdin)
    {
        var start = DateTimeOffset.UtcNow;
        var startTicks = Stopwatch.GetTimestamp();
        RunningJob job;
        try
        {
            try
            {
                job = _spawner!.Spawn(launch, _mode, seq, slot, stdin?.OpenForJob() ?? -1);
            }
            finally
            {
                stdin?.Spawned();
            }
        }
        catch (Win32Exception e)
        {
            // Only a direct exec, or a command line over the kernel's limits (E2BIG), can fail here: report it as a
            // shell would, exit value 127.
            var message = Encoding.UTF8.GetBytes(e.NativeErrorCode == Libc.E2BIG
                ? $"spindle: Error: Command line too long ({launch.Command.Length} characters) for job {seq}: Linux takes at most 128 KiB in one argument and about 2 MiB in all; pass large values through a file instead.\n"
                : $"spindle: cannot run '{launch.Argv?[0] ?? _options.Shell}': {e.Message}\n");
            return new JobAttempt(start, Stopwatch.GetElapsedTime(startTicks), 127, 0, CapturedOutput.Empty, CapturedOutput.FromBytes(message), 0, TimedOut: false, Killed: false, Written: false);
        }

        lock (_state)
        {
            _running[slot] = job;
            if (_stoppingKill)
            {
                _ = job.TerminateAsync();
            }
        }

        using var timer = _timeouts.Start(job, slot, startTicks);
        CapturedOutput stdout = CapturedOutput.Empty, stderr = CapturedOutput.Empty;
        long received;
        int status;
        var written = false;
        if (_mode == JobOutputMode.Group)
        {
            status = job.WaitForExit();
            (stdout, stderr) = job.TakeCaptured();
            received = stdout.Length;
        }
        else
        {
            var live = _reporter.Sink.Live(tag, wholeLines: _options.OutputMode == JobOutputMode.LineBuffer);
            status = job.PumpAndWait(live.OnData);
            live.Finish();
            received = live.StdoutBytes;
            written = true;
        }

        job.CloseOutput();
        var runtime = Stopwatch.GetElapsedTime(startTicks);
        lock (_state)
        {
            _running.Remove(slot);
            _timeouts.Ended(slot);
        }

        var (exit, signal) = Libc.DecodeWaitStatus(status);
        var timedOut = timer is not null && timer.Fired;
        if (timedOut)
        {
            // GNU parallel logs a timed-out job with exit value -1 and the signal that ended it.
            exit = -1;
            signal = signal == 0 ? Libc.SIGTERM : signal;
        }

        return new JobAttempt(start, runtime, exit, signal, stdout, stderr, received, timedOut, Killed: job.WasTerminated && !timedOut, written);
    }

    private void Finish(long seq, int slot, string[] args, string tag, JobLaunch launch, JobAttempt attempt)
    {
        if (attempt.Killed && _stopping)
        {
            // Killed by a halt or by cancellation: GNU parallel neither prints nor logs such jobs.
            _reporter.Skip(seq);
            lock (_state)
            {
                _tally.JobKilled();
            }

            Report();
            return;
        }

        // GNU parallel's job log names the computer: the sshlogin, or ':' for this one.
        _reporter.Finished(seq, slot, args, tag, launch, attempt, _plan.Remote?.LoginOf(slot).Text ?? ":");

        string? message = null;
        var haltNow = false;
        lock (_state)
        {
            var decision = _tally.JobFinished(attempt, launch.Command, ref message);
            if (attempt.Succeeded)
            {
                _timeouts.Succeeded(attempt.Runtime);
            }

            if (decision == HaltWhen.Now)
            {
                haltNow = true;
            }
            else if (decision == HaltWhen.Soon && !_stopping)
            {
                _stopping = true;
                if (_running.Count > 0)
                {
                    message += $"spindle: Starting no more jobs. Waiting for {_running.Count} jobs to finish.\n";
                }
            }
        }

        if (message is not null)
        {
            _reporter.Message(message);
        }

        if (haltNow)
        {
            Stop(kill: true);
        }

        Report();
    }

    public void Dispose()
    {
        lock (_state)
        {
            // A slot thread still blocked reading standard input keeps the enumerator and the spawner; it
            // finds the run stopped when its read returns and starts nothing.
            if (_threadsLive == 0)
            {
                _spawner?.Dispose();
                _dispatcher?.Dispose();
            }
        }
    }

    /// <summary>Starts no more jobs; with <paramref name="kill"/>, also kills every running job's process tree.</summary>
    private void Stop(bool kill)
    {
        RunningJob[] running;
        lock (_state)
        {
            _stopping = true;
            _stoppingKill |= kill;
            running = kill ? [.. _running.Values] : [];
            CheckDone();
        }

        foreach (var job in running)
        {
            _ = job.TerminateAsync();
        }
    }

    // Called under _state. The run is over when every slot thread has exited, or, once stopping, when no job
    // runs any more (a slot thread blocked reading a silent stdin pipe must not keep the run alive).
    private void CheckDone()
    {
        if (_threadsLive == 0 || (_stopping && _inFlight == 0 && _readsStandardInput))
        {
            _done.TrySetResult();
        }
    }

    private void Report()
    {
        if (!_reporter.WantsProgress)
        {
            return;
        }

        JobProgress snapshot;
        lock (_state)
        {
            snapshot = _tally.Progress(_running.Count, _plan.Slots, _clock.Elapsed);
        }

        _reporter.Progress(snapshot);
    }
}
