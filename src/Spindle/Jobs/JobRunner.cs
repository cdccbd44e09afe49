using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.Versioning;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// Runs a shell command over many inputs at once, with GNU parallel's options and meanings: <c>spindle run</c>'s
/// engine, callable from any C# program.
/// </summary>
/// <remarks>
/// <code>
///   inputs ──► InputCombiner ──► [dispatch lock: seq, --resume skip, --delay] ──► slot thread 1..N
///                                                                                  │ render command
///                                                                                  │ posix_spawn (own process group)
///                                                                                  │ wait (memfds) or pump (pipes)
///                                                                                  ▼
///                              [state lock: counts, --halt] ◄── finish ──► OutputSink (whole jobs / whole lines)
///                                                                       └► --joblog, --results, progress
/// </code>
/// Each slot is a dedicated thread that runs one job at a time synchronously: a blocking waitpid costs no
/// thread-pool thread and no per-job allocation of tasks or timers beyond the job's own. Slot threads start only as
/// inputs arrive, so three inputs never start 256 threads.
/// </remarks>
[SupportedOSPlatform("linux")]
public static class JobRunner
{
    /// <summary>
    /// Runs every job and returns how the run ended. Throws <see cref="SpindleOptionsException"/> (no job started)
    /// when the options are invalid, and <see cref="OperationCanceledException"/> after killing the running jobs'
    /// process trees when <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    public static Task<JobRunResult> RunAsync(JobRunOptions options, CancellationToken cancellationToken = default)
    {
        var plan = Plan(options, cancellationToken);
        if (options.Semaphore || options.SemaphoreWait)
        {
            return Task.Run(() => JobSemaphore.Run(plan, cancellationToken), CancellationToken.None);
        }

        if (options.OnAll || options.NonAll)
        {
            return Task.Run(() => OnAllRun.Run(plan, cancellationToken), CancellationToken.None);
        }

        return options.DryRun ? Task.FromResult(DryRun(plan)) : RunCoreAsync(plan, cancellationToken);
    }

    /// <summary>
    /// Runs every job like <see cref="RunAsync"/>, blocking the calling thread until the run ends: for scripts and
    /// command-line tools, which then need no thread-pool thread at all.
    /// </summary>
    public static JobRunResult Run(JobRunOptions options, CancellationToken cancellationToken = default)
    {
        var plan = Plan(options, cancellationToken);
        if (options.Semaphore || options.SemaphoreWait)
        {
            return JobSemaphore.Run(plan, cancellationToken);
        }

        if (options.OnAll || options.NonAll)
        {
            return OnAllRun.Run(plan, cancellationToken);
        }

        if (options.DryRun)
        {
            return DryRun(plan);
        }

        using var run = new JobRun(plan, cancellationToken);
        using var registration = run.Start();
        // A synchronous wait on the task is signalled by the thread that completes it, with no thread-pool hop: the
        // task's RunContinuationsAsynchronously applies to continuations, not to blocked waiters.
        run.Done.Wait(CancellationToken.None);
        return run.Result();
    }

    /// <summary>What both entry points check first: valid options (all problems at once) and a token not yet cancelled.</summary>
    private static ValidatedJobRun Plan(JobRunOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var plan = options.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        return plan;
    }

    private static async Task<JobRunResult> RunCoreAsync(ValidatedJobRun plan, CancellationToken cancellationToken)
    {
        using var run = new JobRun(plan, cancellationToken);
        using var registration = run.Start();
        await run.Done.ConfigureAwait(false);
        return run.Result();
    }

    /// <summary>The run's exit status as GNU parallel computes it: failed jobs (101 for more than 100), or --halt's.</summary>
    internal static int ExitStatus(HaltPolicy halt, int? haltExit, long failed, long started)
    {
        if (haltExit is { } decided)
        {
            return decided;
        }

        if (halt.When != HaltWhen.Never && halt.IsPercent)
        {
            return (int)Math.Ceiling(failed * 100.0 / Math.Max(started, 1));
        }

        return (int)Math.Min(failed, 101);
    }

    private static JobRunResult DryRun(ValidatedJobRun plan)
    {
        var options = plan.Options;
        var template = plan.Template();
        var tagString = options.TagString is { } t ? new CommandTemplate([t], JobCommandMode.NoShell, options.Plus) : null;
        var skip = ResumeSet(options);
        var stdout = options.StandardOutput ?? Console.OpenStandardOutput();
        var seq = 0L;
        var skipped = 0L;
        var text = new StringBuilder();
        var inputs = Inputs(plan, template);
        if (template.NeedsTotal || tagString is { NeedsTotal: true })
        {
            // --plus's {##} and {0#} need the number of jobs: read every input first, as GNU parallel does.
            var all = inputs.ToList();
            template.Total = all.Count;
            tagString?.Total = all.Count;
            inputs = all;
        }

        foreach (var (args, stdin) in inputs)
        {
            stdin?.Dispose();
            seq++;
            if (skip.Contains(seq))
            {
                skipped++;
                continue;
            }

            var slot = (int)((seq - 1) % plan.Slots) + 1;
            text.Clear();
            if (options.Tag || options.TagString is not null)
            {
                text.Append(TagOf(tagString, args, seq, slot)).Append('\t');
            }

            text.Append(template.Render(args, seq, slot).Command).Append('\n');
            stdout.Write(Encoding.UTF8.GetBytes(text.ToString()));
        }

        stdout.Flush();
        return new JobRunResult { ExitStatus = 0, Started = 0, Succeeded = 0, Failed = 0, Skipped = skipped, Halted = false };
    }

    /// <summary>Each job's arguments and, under --pipe or --pipepart, its chunk of input.</summary>
    private static IEnumerable<JobInput> Inputs(ValidatedJobRun plan, CommandTemplate template)
    {
        var inputs = plan.Pipes ? plan.PipeChunks().Select(chunk => new JobInput([], chunk)) : plan.JobArguments(template).Select(args => new JobInput(args, null));
        if (!plan.Options.Shuffle)
        {
            return inputs;
        }

        // --shuf: GNU parallel reads every input, then runs the jobs in a random order.
        var all = inputs.ToArray();
        Random.Shared.Shuffle(all);
        return all;
    }

    /// <summary>The text before the tab of --tag (the arguments) or --tagstring (its template rendered).</summary>
    private static string TagOf(CommandTemplate? tagString, string[] args, long seq, int slot) =>
        tagString is null ? CommandTemplate.Tag(args) : tagString.RenderText(args, seq, slot);

    internal static HashSet<long> ResumeSet(JobRunOptions options)
    {
        if ((!options.Resume && !options.ResumeFailed) || options.JobLog is null)
        {
            return [];
        }

        try
        {
            return JobLog.ReadDone(options.JobLog, onlySucceeded: options.ResumeFailed);
        }
        catch (InvalidDataException e)
        {
            throw new SpindleOptionsException("JobRunOptions", [e.Message]);
        }
    }

    /// <summary>One run: its slot threads, counts and halt state.</summary>
    private sealed class JobRun : IDisposable
    {
        private readonly ValidatedJobRun _plan;
        private readonly JobRunOptions _options;
        private readonly CancellationToken _token;
        private readonly CommandTemplate _template;
        private readonly CommandTemplate? _tagString;
        private readonly ResourceGate _gate;
        private readonly OutputSink _sink;
        private readonly Stream _stderr;
        private readonly Stream _stdout;
        private readonly HashSet<long> _resumeSet;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        // Only --timeout N% needs the median run time; without it the heaps are never built.
        private readonly RunningMedian? _median;
        // The running jobs' timers under --timeout N%, by slot, re-armed whenever the median changes; guarded by _state.
        private readonly Dictionary<int, JobTimeout>? _timeouts;

        // Guards the input enumerator, job numbering, --delay and slot-thread start-up. Held while reading the next
        // input (which may block on a pipe): only threads that want a new job wait for it.
        private readonly Lock _dispatch = new();

        // Guards the counts, the running-job table and halt decisions; never held while doing I/O.
        private readonly Lock _state = new();
        private readonly Dictionary<int, RunningJob> _running = [];

        private IEnumerator<JobInput>? _inputs;
        private long? _total;
        private long _seq;
        private int _inFlight;
        private readonly bool _readsStandardInput;
        private readonly JobOutputMode _mode;
        private int _threadsStarted;
        private int _threadsLive;
        private long _lastStartTicks = long.MinValue;
        private long _started;
        private long _completed;
        private long _failed;
        private long _skipped;
        private double _runtimeSum;
        private volatile bool _stopping;
        private bool _halted;
        private int? _haltExit;
        private JobLog? _jobLog;
        private ResultsWriter? _results;
        private JobSpawner? _spawner;
        private Exception? _fault;

        public JobRun(ValidatedJobRun plan, CancellationToken token)
        {
            _plan = plan;
            _options = plan.Options;
            _token = token;
            _template = plan.Template();
            _gate = plan.Gate();
            _stderr = _options.StandardError ?? Console.OpenStandardError();
            _stdout = _options.StandardOutput ?? Console.OpenStandardOutput();
            _sink = new OutputSink(_stdout, _stderr, _options.Tag || _options.TagString is not null, _options.KeepOrder);
            _tagString = _options.TagString is { } tagString ? new CommandTemplate([tagString], JobCommandMode.NoShell, _options.Plus) : null;
            _resumeSet = ResumeSet(_options);
            _median = plan.TimeoutFraction is null ? null : new RunningMedian();
            _timeouts = plan.TimeoutFraction is null ? null : [];
            // Keep-order and --results need each job's whole output, so they capture it as grouped mode does.
            _mode = _options.KeepOrder || _options.ResultsDirectory is not null ? JobOutputMode.Group : _options.OutputMode;
            _readsStandardInput = (_options.Inputs.Count == 0 && _options.PipePart is null) || _options.Inputs.Any(i => i.Reader is not null || i.Path == "-");
        }

        /// <summary>Completes when the run is over: every slot thread has exited, or it was stopped and no job runs.</summary>
        public Task Done => _done.Task;

        /// <summary>Opens the inputs and the job log and starts the first slot thread; the registration stops the run on cancellation.</summary>
        public CancellationTokenRegistration Start()
        {
            var inputs = Inputs(_plan, _template);
            // A percentage halt is a share of all jobs, and a bar and --plus's {##} need the total: all read every input first.
            if (_options.ReadInputsFirst || _plan.Halt.IsPercent || _template.NeedsTotal || _tagString is { NeedsTotal: true })
            {
                var all = inputs.ToList();
                _total = all.Count;
                _template.Total = all.Count;
                _tagString?.Total = all.Count;
                inputs = all;
            }

            if (_options.JobLog is { } log)
            {
                _jobLog = JobLog.Open(log, append: _options.Resume || _options.ResumeFailed);
            }

            if (_options.ResultsDirectory is { } results)
            {
                _results = ResultsWriter.Open(results, Math.Max(_options.Inputs.Count, 1), _stdout);
            }

            foreach (var warning in _plan.Remote?.SendBaseFiles(_token) ?? [])
            {
                Message(warning);
            }

            _spawner = new JobSpawner(_options.Shell);
            _inputs = inputs.GetEnumerator();
            var registration = _token.Register(() => Stop(kill: true));
            try
            {
                lock (_dispatch)
                {
                    StartSlotThread();
                }
            }
            catch
            {
                registration.Dispose();
                _jobLog?.Dispose();
                _results?.Dispose();
                throw;
            }

            return registration;
        }

        /// <summary>How the run ended; call once <see cref="Done"/> has completed.</summary>
        public JobRunResult Result()
        {
            _jobLog?.Dispose();
            _results?.Dispose();
            foreach (var warning in _plan.Remote?.RemoveBaseFiles(CancellationToken.None) ?? [])
            {
                Message(warning);
            }

            if (_fault is not null)
            {
                throw new InvalidOperationException($"spindle run failed: {_fault.Message}", _fault);
            }

            _token.ThrowIfCancellationRequested();
            lock (_state)
            {
                return new JobRunResult
                {
                    ExitStatus = ExitStatus(_plan.Halt, _haltExit, _failed, _started),
                    Started = _started,
                    Succeeded = _completed - _failed,
                    Failed = _failed,
                    Skipped = _skipped,
                    Halted = _halted,
                };
            }
        }

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
                while (TakeNext() is { } job)
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

        private (long Seq, JobInput Input)? TakeNext()
        {
            lock (_dispatch)
            {
                while (true)
                {
                    // Checked again after reading: the read may have blocked on a pipe while the run was stopped.
                    if (_stopping || !_inputs!.MoveNext() || _stopping)
                    {
                        return null;
                    }

                    var seq = ++_seq;
                    var input = _inputs.Current;
                    if (_resumeSet.Contains(seq))
                    {
                        input.Stdin?.Dispose();
                        lock (_state)
                        {
                            _skipped++;
                        }

                        _sink.Skip(seq);
                        continue;
                    }

                    if (_options.Delay > TimeSpan.Zero && _lastStartTicks != long.MinValue)
                    {
                        var wait = _options.Delay - Stopwatch.GetElapsedTime(_lastStartTicks);
                        if (wait > TimeSpan.Zero)
                        {
                            _token.WaitHandle.WaitOne(wait);
                            if (_stopping)
                            {
                                return null;
                            }
                        }
                    }

                    if (_gate.Active && !_gate.WaitForRoom(() => _stopping, _token))
                    {
                        input.Stdin?.Dispose();
                        return null;
                    }

                    _lastStartTicks = Stopwatch.GetTimestamp();
                    lock (_state)
                    {
                        _inFlight++;
                    }

                    if (_threadsStarted < _plan.Slots)
                    {
                        StartSlotThread();
                    }

                    return (seq, input);
                }
            }
        }

        private void RunJob(long seq, JobInput input, int slot)
        {
            using var stdin = input.Stdin;
            var args = input.Args;
            var launch = _template.Render(args, seq, slot);
            // On a remote slot, ssh (and rsync) run the command; the job log and messages still show the command.
            var run = _plan.Remote is { } remote ? remote.Wrap(launch, args, seq, slot) : launch;

            var tag = _options.Tag || _tagString is not null ? TagOf(_tagString, args, seq, slot) : "";
            lock (_state)
            {
                _started++;
            }

            Report();
            var attempts = Math.Max(1, _options.Retries);
            Attempt attempt = default;
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

        private Attempt RunOnce(JobLaunch launch, long seq, int slot, string tag, PipeChunk? stdin)
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
                var message = Encoding.UTF8.GetBytes(e.NativeErrorCode == Posix.E2BIG
                    ? $"spindle: Error: Command line too long ({launch.Command.Length} characters) for job {seq}: Linux takes at most 128 KiB in one argument and about 2 MiB in all; pass large values through a file instead.\n"
                    : $"spindle: cannot run '{launch.Argv?[0] ?? _options.Shell}': {e.Message}\n");
                return new Attempt(start, Stopwatch.GetElapsedTime(startTicks), 127, 0, CapturedOutput.Empty, CapturedOutput.FromBytes(message), 0, TimedOut: false, Killed: false, Written: false);
            }

            lock (_state)
            {
                _running[slot] = job;
                if (_stoppingKill)
                {
                    _ = job.TerminateAsync();
                }
            }

            using var timer = StartTimeout(job, slot, startTicks);
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
                var live = _sink.Live(tag, wholeLines: _options.OutputMode == JobOutputMode.LineBuffer);
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
                _timeouts?.Remove(slot);
            }

            var (exit, signal) = Posix.DecodeWaitStatus(status);
            var timedOut = timer is not null && timer.Fired;
            if (timedOut)
            {
                // GNU parallel logs a timed-out job with exit value -1 and the signal that ended it.
                exit = -1;
                signal = signal == 0 ? Posix.SIGTERM : signal;
            }

            return new Attempt(start, runtime, exit, signal, stdout, stderr, received, timedOut, Killed: job.WasTerminated && !timedOut, written);
        }

        private JobTimeout? StartTimeout(RunningJob job, int slot, long startTicks)
        {
            if (_plan.Timeout is { } limit)
            {
                return new JobTimeout(job, limit, startTicks);
            }

            if (_plan.TimeoutFraction is not { } fraction)
            {
                return null;
            }

            // --timeout N%: GNU parallel holds one limit for every running job and moves it as the median moves, so a
            // job that started before any job had finished is still killed once a median exists (see Finish).
            lock (_state)
            {
                var timeout = new JobTimeout(job, _median!.Count > 0 ? TimeSpan.FromSeconds(_median.Median * fraction) : null, startTicks);
                _timeouts![slot] = timeout;
                return timeout;
            }
        }

        private void Finish(long seq, int slot, string[] args, string tag, JobLaunch launch, Attempt attempt)
        {
            if (attempt.Killed && _stopping)
            {
                // Killed by a halt or by cancellation: GNU parallel neither prints nor logs such jobs.
                _sink.Skip(seq);
                lock (_state)
                {
                    _completed++;
                    _failed++;
                }

                Report();
                return;
            }

            if (attempt.TimedOut)
            {
                Message($"spindle: Warning: This job was killed because it timed out:\nspindle: Warning: {launch.Command}\n");
            }

            // --results reads the output before the sink takes it (and, keeping order, may write it much later).
            _results?.Write(new JobResultRecord(seq, slot, args, launch.Command, attempt.Start, attempt.Runtime, attempt.Received, attempt.ExitValue, attempt.Signal, attempt.Stdout, attempt.Stderr));

            if (_results is not null)
            {
                // GNU parallel prints nothing of a job whose output --results keeps.
                _sink.Skip(seq);
            }
            else if (!attempt.Written)
            {
                _sink.WriteJob(seq, tag, attempt.Stdout, attempt.Stderr);
            }

            _jobLog?.Write(JobLog.FormatLine(seq, attempt.Start, attempt.Runtime, attempt.Received, attempt.ExitValue, attempt.Signal, launch.Command));

            var failed = !attempt.Succeeded;
            string? message = null;
            var haltNow = false;
            lock (_state)
            {
                _completed++;
                _runtimeSum += attempt.Runtime.TotalSeconds;
                if (failed)
                {
                    _failed++;
                }
                else
                {
                    if (_median is not null)
                    {
                        _median.Add(attempt.Runtime.TotalSeconds);
                        var limit = TimeSpan.FromSeconds(_median.Median * _plan.TimeoutFraction!.Value);
                        foreach (var timeout in _timeouts!.Values)
                        {
                            timeout.Rearm(limit);
                        }
                    }
                }

                var decision = HaltDecision(attempt, launch.Command, ref message);
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
                Message(message);
            }

            if (haltNow)
            {
                Stop(kill: true);
            }

            Report();
        }

        // GNU parallel's should_we_halt, line for line in meaning. Called under _state.
        private HaltWhen HaltDecision(Attempt attempt, string command, ref string? message)
        {
            var halt = _plan.Halt;
            if (halt.When == HaltWhen.Never || _halted)
            {
                return HaltWhen.Never;
            }

            long? limit = null;
            if (!attempt.Succeeded)
            {
                if (halt.On == HaltOn.Fail)
                {
                    message = $"spindle: This job failed:\n{command}\n";
                    limit = _failed;
                }
            }
            else if (halt.On == HaltOn.Success)
            {
                message = $"spindle: This job succeeded:\n{command}\n";
                limit = _completed - _failed;
            }

            if (halt.On == HaltOn.Done)
            {
                message = $"spindle: This job finished:\n{command}\n";
                limit = _completed;
            }

            if (limit is null)
            {
                return HaltWhen.Never;
            }

            var total = _total ?? 0;
            var count = halt.IsPercent ? total * halt.Fraction : halt.Count;
            if (limit < count)
            {
                return HaltWhen.Never;
            }

            _halted = true;
            if (halt.On is HaltOn.Fail or HaltOn.Done)
            {
                if (halt.IsPercent)
                {
                    _haltExit = (int)Math.Ceiling(_failed * 100.0 / Math.Max(total, 1));
                }
                else
                {
                    _haltExit = (int)Math.Min(_failed, 101);
                }

                if (!halt.IsPercent && halt.Count == 1)
                {
                    // Bash's convention: a job ended by a signal counts as 128 + the signal.
                    _haltExit = attempt.ExitValue != 0 ? attempt.ExitValue : attempt.Signal != 0 ? attempt.Signal + 128 : 0;
                }
            }
            else
            {
                _haltExit = 0;
            }

            return halt.When;
        }

        private bool _stoppingKill;

        public void Dispose()
        {
            lock (_state)
            {
                // A slot thread still blocked reading standard input keeps the enumerator and the spawner; it
                // finds the run stopped when its read returns and starts nothing.
                if (_threadsLive == 0)
                {
                    _spawner?.Dispose();
                    _inputs?.Dispose();
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


        private void Message(string text)
        {
            lock (_sink)
            {
                _stderr.Write(Encoding.UTF8.GetBytes(text));
                _stderr.Flush();
            }
        }

        private void Report()
        {
            if (_options.Progress is not { } progress)
            {
                return;
            }

            JobProgress snapshot;
            lock (_state)
            {
                var average = _completed > 0 ? TimeSpan.FromSeconds(_runtimeSum / _completed) : TimeSpan.Zero;
                snapshot = new JobProgress(_total is { } t ? t - _skipped : null, _started, _completed, _failed, _running.Count, _plan.Slots, _clock.Elapsed, average);
            }

            progress.Report(snapshot);
        }
    }

    /// <summary>One job's input: its arguments and, under --pipe or --pipepart, the chunk it reads on stdin.</summary>
    private readonly record struct JobInput(string[] Args, PipeChunk? Stdin);

    private readonly record struct Attempt(DateTimeOffset Start, TimeSpan Runtime, int ExitValue, int Signal, CapturedOutput? Stdout, CapturedOutput? Stderr, long Received, bool TimedOut, bool Killed, bool Written)
    {
        public bool Succeeded => ExitValue == 0 && Signal == 0;

        // Closes the memfds of an attempt that was retried, skipped or never written; safe after the sink's own.
        public void Dispose()
        {
            Stdout?.Dispose();
            Stderr?.Dispose();
        }
    }
}
