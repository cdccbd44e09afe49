using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// Everything a run tells the user: each finished job's output (grouped, in order, or skipped under --results), the
/// --joblog line, the --results record, the runner's own messages on stderr, and progress reports.
/// </summary>
internal sealed class JobReporter : IDisposable
{
    private readonly JobRunOptions _options;
    private readonly Stream _stderr;
    private readonly Stream _stdout;
    private JobLog? _jobLog;
    private ResultsWriter? _results;

    public JobReporter(JobRunOptions options)
    {
        _options = options;
        _stderr = options.StandardError ?? Console.OpenStandardError();
        _stdout = options.StandardOutput ?? Console.OpenStandardOutput();
        Sink = new OutputSink(_stdout, _stderr, options.Tag || options.TagString is not null, options.KeepOrder);
    }

    /// <summary>Where jobs' output goes: whole jobs, or live in whole lines or as it comes.</summary>
    public OutputSink Sink { get; }

    /// <summary>Opens the job log and the --results destination, as the run starts.</summary>
    public void Open()
    {
        if (_options.JobLog is { } log)
        {
            _jobLog = JobLog.Open(log, append: _options.Resume || _options.ResumeFailed);
        }

        if (_options.ResultsDirectory is { } results)
        {
            _results = ResultsWriter.Open(results, Math.Max(_options.Inputs.Count, 1), _stdout);
        }
    }

    /// <summary>A job that prints nothing (skipped by --resume, or killed by a halt or cancellation), so that -k moves past it.</summary>
    public void Skip(long seq) => Sink.Skip(seq);

    /// <summary>Reports a finished job: its output, its --results record and its job log line (<paramref name="host"/> its sshlogin, ':' here).</summary>
    public void Finished(long seq, int slot, string[] args, string tag, JobLaunch launch, JobAttempt attempt, string host)
    {
        if (attempt.TimedOut)
        {
            Message($"spindle: Warning: This job was killed because it timed out:\nspindle: Warning: {launch.Command}\n");
        }

        // --results reads the output before the sink takes it (and, keeping order, may write it much later).
        _results?.Write(new JobResultRecord(seq, slot, args, launch.Command, attempt.Start, attempt.Runtime, attempt.Received, attempt.ExitValue, attempt.Signal, attempt.Stdout, attempt.Stderr));

        if (_results is not null)
        {
            // GNU parallel prints nothing of a job whose output --results keeps.
            Sink.Skip(seq);
        }
        else if (!attempt.Written)
        {
            Sink.WriteJob(seq, tag, attempt.Stdout, attempt.Stderr);
        }

        _jobLog?.Write(JobLog.FormatLine(seq, attempt.Start, attempt.Runtime, attempt.Received, attempt.ExitValue, attempt.Signal, launch.Command, host));
    }

    /// <summary>One of the runner's own messages, written whole to stderr between jobs' output.</summary>
    public void Message(string text)
    {
        lock (Sink)
        {
            _stderr.Write(Encoding.UTF8.GetBytes(text));
            _stderr.Flush();
        }
    }

    /// <summary>Whether anyone listens to progress (so that a run without --bar builds no snapshots).</summary>
    public bool WantsProgress => _options.Progress is not null;

    public void Progress(JobProgress snapshot) => _options.Progress?.Report(snapshot);

    /// <summary>Closes the job log and the --results destination.</summary>
    public void Dispose()
    {
        _jobLog?.Dispose();
        _results?.Dispose();
    }
}
