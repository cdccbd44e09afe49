using System.Text.RegularExpressions;
using Spindle.Internal;

namespace Spindle.Jobs;

/// <summary>
/// Settings of a <see cref="JobRunner"/> run, with GNU parallel's names and meanings; validated once, when the run
/// starts, with every problem reported together in one <see cref="SpindleOptionsException"/>.
/// </summary>
public sealed record JobRunOptions
{
    /// <summary>The command's words, with replacement strings ({} {.} {/} {//} {/.} {#} {%} {1} {2.} ...); without any, the arguments are appended.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>The input sources (<c>:::</c>, <c>::::</c>, <c>:::+</c>); when empty, the lines of <see cref="StandardInput"/>.</summary>
    public IReadOnlyList<JobInputSource> Inputs { get; init; } = [];

    /// <summary>Where "standard input" is read from (no sources, or <c>:::: -</c>); null means the console's.</summary>
    public TextReader? StandardInput { get; init; }

    /// <summary>Input values are separated by NUL instead of newline (-0, --null).</summary>
    public bool NullSeparated { get; init; }

    /// <summary>A regular expression that splits each input value into columns {1} {2} ... (--colsep).</summary>
    public string? ColumnSeparator { get; init; }

    /// <summary>How many jobs run at once (-j): N, N% of the cores, +N, -N, or 0 for as many as possible.</summary>
    public string Jobs { get; init; } = "100%";

    /// <summary>Output appears in input order, not finishing order (-k, --keep-order).</summary>
    public bool KeepOrder { get; init; }

    /// <summary>Grouped per job (default), in whole lines (--line-buffer), or as it comes (--ungroup).</summary>
    public JobOutputMode OutputMode { get; init; } = JobOutputMode.Group;

    /// <summary>Each output line starts with the job's arguments and a tab (--tag).</summary>
    public bool Tag { get; init; }

    /// <summary>Shell command line (default), each word quoted (-q), or no shell at all (--no-shell).</summary>
    public JobCommandMode CommandMode { get; init; } = JobCommandMode.Shell;

    /// <summary>The shell that runs each command line; GNU parallel's PARALLEL_SHELL when set, else /bin/sh.</summary>
    public string Shell { get; init; } = Environment.GetEnvironmentVariable("PARALLEL_SHELL") is { Length: > 0 } shell ? shell : "/bin/sh";

    /// <summary>A file that gets one GNU-parallel-format TSV line per finished job (--joblog).</summary>
    public string? JobLog { get; init; }

    /// <summary>Skip the jobs that the job log shows as run (--resume).</summary>
    public bool Resume { get; init; }

    /// <summary>Skip the jobs that the job log shows as succeeded; run failed and unrun ones (--resume-failed).</summary>
    public bool ResumeFailed { get; init; }

    /// <summary>How many times in all a failing job is tried (--retries); 0 and 1 mean once.</summary>
    public int Retries { get; init; }

    /// <summary>Kill a job's whole process tree after this many seconds, or N% of the median run time (--timeout).</summary>
    public string? Timeout { get; init; }

    /// <summary>When to stop early (--halt): never, or soon|now with fail|success|done=N|N%.</summary>
    public string? Halt { get; init; }

    /// <summary>The least time between two job starts (--delay).</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>Print the commands instead of running them (--dry-run).</summary>
    public bool DryRun { get; init; }

    /// <summary>A directory that gets each job's stdout, stderr and seq, in GNU parallel's layout DIR/1/arg1/2/arg2/ (--results).</summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>Where jobs' standard output goes; null means this process's.</summary>
    public Stream? StandardOutput { get; init; }

    /// <summary>Where jobs' standard error and the runner's messages go; null means this process's.</summary>
    public Stream? StandardError { get; init; }

    /// <summary>Read every input before the first job starts, so that <see cref="JobProgress.Total"/> is known (--bar, --eta).</summary>
    public bool ReadInputsFirst { get; init; }

    /// <summary>Receives the counts each time a job starts or ends (from the job's slot thread).</summary>
    public IProgress<JobProgress>? Progress { get; init; }

    internal ValidatedJobRun Validate()
    {
        var problems = new ProblemList();
        if (Command is null || Command.Count == 0 || Command.All(string.IsNullOrWhiteSpace))
        {
            problems.Add("Command must name the command to run (was empty); for example [\"gzip\", \"{}\"].");
        }

        var cores = Environment.ProcessorCount;
        if (Jobs is null || !JobSlotsSpec.TryParse(Jobs, cores, out var slots))
        {
            problems.Add($"Jobs must be N, N%, +N, -N or 0 (was '{Jobs}'); for example \"4\", \"50%\" or \"+1\".");
            slots = 1;
        }

        var halt = HaltPolicy.Never;
        if (Halt is not null && !HaltPolicy.TryParse(Halt, out halt))
        {
            problems.Add($"Halt must be never, or soon|now followed by ,fail=N, ,success=N or ,done=N (N or N%) (was '{Halt}'); for example \"now,fail=1\" or \"soon,fail=10%\".");
        }

        TimeSpan? timeout = null;
        double? timeoutFraction = null;
        if (Timeout is not null && !TimeoutSpec.TryParse(Timeout, out timeout, out timeoutFraction))
        {
            problems.Add($"Timeout must be a number of seconds greater than 0 or a percentage of the median run time (was '{Timeout}'); for example \"2.5\" or \"200%\".");
        }

        if (Retries < 0)
        {
            problems.Add($"Retries must be 0 or more (was {Retries}).");
        }

        if (Delay < TimeSpan.Zero)
        {
            problems.Add($"Delay must not be negative (was {Delay.TotalSeconds} s).");
        }

        if ((Resume || ResumeFailed) && string.IsNullOrEmpty(JobLog))
        {
            problems.Add("Resume and ResumeFailed need a JobLog to read (--resume and --resume-failed require --joblog).");
        }

        if (Resume && ResumeFailed)
        {
            problems.Add("Resume and ResumeFailed cannot both be set; --resume-failed already resumes unrun jobs.");
        }

        Regex? columnSeparator = null;
        if (ColumnSeparator is not null)
        {
            try
            {
                columnSeparator = new Regex(ColumnSeparator, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                problems.Add($"ColumnSeparator is not a valid regular expression (was '{ColumnSeparator}'): {e.Message}");
            }
        }

        foreach (var input in Inputs ?? [])
        {
            if (input.Path is { } path && path != "-")
            {
                try
                {
                    using var _ = File.OpenRead(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
                {
                    problems.Add($"The input file '{path}' cannot be read ({e.Message.TrimEnd('.')}); check the path after '::::'.");
                }
            }
        }

        if (CommandMode != JobCommandMode.NoShell && !File.Exists(Shell))
        {
            problems.Add($"Shell '{Shell}' does not exist; set Shell (or PARALLEL_SHELL) to a Bourne shell such as /bin/sh.");
        }

        if (JobLog is { Length: > 0 } log && log != "-" && Path.GetDirectoryName(Path.GetFullPath(log)) is { } logDir && !Directory.Exists(logDir))
        {
            problems.Add($"The job log's folder '{logDir}' does not exist (JobLog was '{log}').");
        }

        if (!OperatingSystem.IsLinux())
        {
            problems.Add($"Job runs need Linux (process groups and posix_spawn); this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        }

        problems.ThrowIfAny("JobRunOptions");
        return new ValidatedJobRun(this, slots, halt, timeout, timeoutFraction, columnSeparator);
    }
}

/// <summary>Options after validation, with every spec parsed.</summary>
internal sealed record ValidatedJobRun(JobRunOptions Options, int Slots, HaltPolicy Halt, TimeSpan? Timeout, double? TimeoutFraction, Regex? ColumnSeparator);
