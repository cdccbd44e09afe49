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

    /// <summary>Values are CSV records (--csv): split into columns on <see cref="ColumnSeparator"/> (one character; a comma by default), quoted fields holding it, quotes or newlines.</summary>
    public bool Csv { get; init; }

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

    /// <summary>
    /// Where each job's output is kept (--results): a directory in GNU parallel's layout DIR/1/arg1/2/arg2/; a path with
    /// replacement strings (PATH, PATH.err, PATH.seq per job); or a table of every job, NAME.csv, NAME.tsv or NAME.json.
    /// </summary>
    public string? ResultsDirectory { get; init; }

    /// <summary>At most this many inputs per job (-n, --max-args); {} then stands for all of them. 0 takes one input and puts none on the line.</summary>
    public int? MaxArgs { get; init; }

    /// <summary>At most this many inputs per job, with context replace and {1}..{N} over them (-N, --max-replace-args).</summary>
    public int? MaxReplaceArgs { get; init; }

    /// <summary>At most this many input lines per job, a line ending in a blank going on in the next (-L, -l, --max-lines); context replace unless -m or --xargs.</summary>
    public int? MaxLines { get; init; }

    /// <summary>One input per job (default), or as many as fit on the command line: -X (context replace), -m, --xargs.</summary>
    public JobArgumentMode ArgumentMode { get; init; } = JobArgumentMode.OneInput;

    /// <summary>
    /// The longest command line, in UTF-8 bytes, that -X, -m, --xargs and -N fill up to (-s, --max-chars). The default
    /// stays under Linux's 128 KiB limit on one argument, which `sh -c` gives the whole line.
    /// </summary>
    public int MaxChars { get; init; } = DefaultMaxChars;

    /// <summary>The default of <see cref="MaxChars"/>: 131072 (Linux's MAX_ARG_STRLEN) less room for the shell's own words.</summary>
    public const int DefaultMaxChars = 130_000;

    /// <summary>Cut standard input into chunks of whole records and give each job one chunk on its stdin (--pipe).</summary>
    public bool Pipe { get; init; }

    /// <summary>Give each job one part of this file on its stdin, reading only near the cuts (--pipepart -a FILE); implies <see cref="Pipe"/>'s chunking.</summary>
    public string? PipePart { get; init; }

    /// <summary>Where --pipe reads; null means this process's standard input.</summary>
    public Stream? PipeInput { get; init; }

    /// <summary>
    /// About how many bytes each --pipe or --pipepart chunk holds (--block; GNU parallel's default is 1 MiB); with
    /// --pipepart, a negative -N means N parts per job slot.
    /// </summary>
    public long BlockSize { get; init; } = 1024 * 1024;

    /// <summary>What a record starts with (--recstart); chunks are cut only where --recend is followed by it.</summary>
    public string? RecordStart { get; init; }

    /// <summary>What a record ends with (--recend); null means a newline unless <see cref="RecordStart"/> is set, "" means none.</summary>
    public string? RecordEnd { get; init; }

    /// <summary>
    /// --header: with --pipe, the header every chunk starts with (":" for the first line, N for N lines, or a regular
    /// expression); with input sources, any value but "0" makes each source's first value name its columns, {name}.
    /// </summary>
    public string? Header { get; init; }

    /// <summary>Pair the input sources element-wise, a shorter source wrapping around, instead of combining them (--link, --xapply).</summary>
    public bool Link { get; init; }

    /// <summary>Run the jobs in a random order; every input is read before the first job starts (--shuf).</summary>
    public bool Shuffle { get; init; }

    /// <summary>Each output line starts with this text, replacement strings rendered, and a tab (--tagstring); implies <see cref="Tag"/>'s prefixing.</summary>
    public string? TagString { get; init; }

    /// <summary>Start a job only while the machine has at least this many bytes of memory available (--memfree).</summary>
    public long? MemFree { get; init; }

    /// <summary>Start a job only while fewer processes than this are running on the machine: N, or N% of the cores (--load).</summary>
    public string? Load { get; init; }

    /// <summary>Start a job only while the machine is not swapping (--noswap).</summary>
    public bool NoSwap { get; init; }

    /// <summary>
    /// Work as GNU parallel's counting semaphore (--semaphore, <c>sem</c>): run <see cref="Command"/> once, when fewer
    /// than <see cref="Jobs"/> commands of the same <see cref="SemaphoreName"/> run, counted across processes. The
    /// command uses this process's stdin, stdout and stderr; in the background (the default) the run returns as soon
    /// as it starts. GNU sem's default of one slot is the CLI's; here <see cref="Jobs"/> counts as always.
    /// </summary>
    public bool Semaphore { get; init; }

    /// <summary>The semaphore's name (--id, --semaphorename); null means GNU's default, the terminal of stdin or "not a tty".</summary>
    public string? SemaphoreName { get; init; }

    /// <summary>Wait for the semaphore's command and return its exit status, instead of starting it in the background (--fg).</summary>
    public bool SemaphoreForeground { get; init; }

    /// <summary>Run nothing; wait until every command of the semaphore has ended (sem --wait).</summary>
    public bool SemaphoreWait { get; init; }

    /// <summary>
    /// How long to wait for a slot (--semaphoretimeout, --st): when it passes, a positive value runs the command anyway
    /// and a negative one gives up with exit status 1; null waits as long as it takes.
    /// </summary>
    public TimeSpan? SemaphoreTimeout { get; init; }

    /// <summary>The folder that holds the semaphores; null means $SPINDLE_HOME/semaphores, else ~/.spindle/semaphores.</summary>
    public string? SemaphoreDirectory { get; init; }

    /// <summary>
    /// Run the jobs on these computers over ssh (-S, --sshlogin): each value one or more sshlogins, comma separated, of
    /// the form <c>[ncpus/]host</c>, <c>[ncpus/]user@host</c>, <c>[ncpus/]sshcommand [options] host</c>, or <c>:</c> for
    /// this computer. <see cref="Jobs"/> counts per computer (N% of its cpus, asked with ssh unless ncpus/ gives them).
    /// </summary>
    public IReadOnlyList<string> SshLogins { get; init; } = [];

    /// <summary>Files of sshlogins, one per line, '#' comments (--slf, --sshloginfile); ".." is ~/.parallel/sshloginfile.</summary>
    public IReadOnlyList<string> SshLoginFiles { get; init; } = [];

    /// <summary>The ssh command line of sshlogins that give none (--ssh); null means $PARALLEL_SSH, else "ssh".</summary>
    public string? Ssh { get; init; }

    /// <summary>Files (replacement strings allowed, "{}" for --transfer) sent with rsync to a remote job's work dir before it runs (--transferfile, --tf).</summary>
    public IReadOnlyList<string> TransferFiles { get; init; } = [];

    /// <summary>Files (replacement strings allowed) fetched with rsync from a remote job's work dir after it ran (--return).</summary>
    public IReadOnlyList<string> ReturnFiles { get; init; } = [];

    /// <summary>Files sent to every remote computer before its first job (--basefile, --bf).</summary>
    public IReadOnlyList<string> BaseFiles { get; init; } = [];

    /// <summary>Remove the transferred, returned and base files from the remote computers once used (--cleanup).</summary>
    public bool Cleanup { get; init; }

    /// <summary>Run every job on every sshlogin, one at a time per computer, output grouped per computer (--onall).</summary>
    public bool OnAll { get; init; }

    /// <summary>Run the command once on every sshlogin, with no arguments (--nonall).</summary>
    public bool NonAll { get; init; }

    /// <summary>The folder remote jobs run in (--workdir, --wd; replacement strings allowed): "..." a fresh one per job, "." this folder; null is the login folder.</summary>
    public string? WorkDir { get; init; }

    /// <summary>With --onall: the jobs' arguments, already read (each computer runs them all).</summary>
    internal IReadOnlyList<string[]>? PresetArguments { get; init; }

    /// <summary>With --onall: the one computer of a per-computer run.</summary>
    internal RemoteHosts? PresetRemote { get; init; }

    /// <summary>
    /// Turn on GNU parallel's --plus replacement strings: {..} {...} {/..} {/...} {+/} {+.} {+..} {+...}, {##} (number
    /// of jobs), {0#} {0%} (zero-padded), and {:-str} {:N} {:N:M} {#re} {##re} {%re} {%%re} {/re/str} {//re/str}
    /// {/#re/str} {/%re/str} {^re} {^^re} {,re} {,,re}, each also after a position ({2%.gz}).
    /// </summary>
    public bool Plus { get; init; }

    /// <summary>Where --memfree, --load and --noswap read the machine's state; tests replace /proc.</summary>
    internal Func<MachineState>? MachineProbe { get; init; }

    /// <summary>Where jobs' standard output goes; null means this process's.</summary>
    public Stream? StandardOutput { get; init; }

    /// <summary>Where jobs' standard error and the runner's messages go; null means this process's.</summary>
    public Stream? StandardError { get; init; }

    /// <summary>Read every input before the first job starts, so that <see cref="JobProgress.Total"/> is known (--bar, --eta).</summary>
    public bool ReadInputsFirst { get; init; }

    /// <summary>Receives the counts each time a job starts or ends (from the job's slot thread).</summary>
    public IProgress<JobProgress>? Progress { get; init; }

    /// <summary>The one character a --colsep stands for (regex escapes such as \t read), or null.</summary>
    internal static char? OneCharacter(string pattern)
    {
        try
        {
            return Regex.Unescape(pattern) is { Length: 1 } one ? one[0] : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    internal ValidatedJobRun Validate()
    {
        var problems = new ProblemList();
        var semaphore = Semaphore || SemaphoreWait;
        if ((Command is null || Command.Count == 0 || Command.All(string.IsNullOrWhiteSpace)) && !SemaphoreWait)
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

        foreach (var (name, value) in new[] { ("MaxArgs", MaxArgs), ("MaxReplaceArgs", MaxReplaceArgs), ("MaxLines", MaxLines) })
        {
            if (value < 0)
            {
                problems.Add($"{name} must be 0 or more (was {value}).");
            }
        }

        var pipe = Pipe || PipePart is not null;
        if (pipe && (BlockSize == 0 || (BlockSize < 0 && PipePart is null)))
        {
            problems.Add($"BlockSize must be greater than 0{(PipePart is null ? "" : ", or negative for parts per job slot with PipePart")} (was {BlockSize}); for example 1048576 (--block 1M).");
        }

        if (pipe && (MaxLines is not null || MaxArgs is not null || ArgumentMode != JobArgumentMode.OneInput))
        {
            problems.Add("Pipe and PipePart take -N (MaxReplaceArgs, records per job) but not MaxLines, MaxArgs, -X, -m or --xargs; remove those or drop --pipe.");
        }

        if (PipePart is not null && MaxReplaceArgs is not null)
        {
            problems.Add("PipePart cannot count records (MaxReplaceArgs, -N), as GNU parallel's --pipepart cannot; use --pipe -N, or --block.");
        }

        if (PipePart is { } part && !File.Exists(part))
        {
            problems.Add($"The --pipepart file '{part}' does not exist; give an existing file with -a.");
        }

        if (Header is not null && pipe)
        {
            try
            {
                _ = PipeSplitter.HeaderPattern(Header);
            }
            catch (ArgumentException e)
            {
                problems.Add($"Header is not ':', a number of lines or a valid regular expression (was '{Header}'): {e.Message}");
            }
        }

        if (MemFree is <= 0)
        {
            problems.Add($"MemFree must be a number of bytes greater than 0 (was {MemFree}); for example 1073741824 (--memfree 1G).");
        }

        double? maxLoad = null;
        if (Load is not null)
        {
            if (ResourceGate.TryParseLoad(Load, cores, out var load))
            {
                maxLoad = load;
            }
            else
            {
                problems.Add($"Load must be a number of running processes or a percentage of the cores, greater than 0 (was '{Load}'); for example \"4\" or \"80%\".");
            }
        }

        if (MaxChars is <= 0 or > 131_071)
        {
            problems.Add($"MaxChars must be between 1 and 131071, Linux's longest single argument (was {MaxChars}).");
        }

        if (!Enum.IsDefined(ArgumentMode))
        {
            problems.Add($"ArgumentMode must be OneInput, ContextReplace, Multiple or Xargs (was {(int)ArgumentMode}).");
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

        if (Csv && ColumnSeparator is not null && OneCharacter(ColumnSeparator) is null)
        {
            problems.Add($"With Csv, ColumnSeparator must be one character (was '{ColumnSeparator}'); for example \";\" or \"\\t\".");
        }

        Regex? columnSeparator = null;
        if (ColumnSeparator is not null && !Csv)
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

        if (semaphore && (Inputs ?? []).Count > 0)
        {
            problems.Add("Semaphore runs its command once and takes no input sources (':::', '::::', -a); start one 'sem' per command instead.");
        }

        if (semaphore && Pipe)
        {
            problems.Add("Semaphore cannot be combined with Pipe (--pipe); the semaphore's command reads this process's stdin itself.");
        }

        if (SemaphoreTimeout == TimeSpan.Zero)
        {
            problems.Add("SemaphoreTimeout must not be 0; give seconds to wait before running anyway (positive) or giving up (negative), or null to wait as long as it takes.");
        }

        var remote = PresetRemote ?? ValidateRemote(problems, slots);
        if ((OnAll || NonAll) && remote is null)
        {
            problems.Add("OnAll and NonAll need sshlogins to run on (-S, --slf); for example -S server1,server2.");
        }

        if (NonAll && (Inputs ?? []).Count > 0)
        {
            problems.Add("NonAll runs the command with no arguments and takes no input sources; remove ':::'/'::::' or use --onall.");
        }

        if ((OnAll || NonAll) && (JobLog is not null || ResultsDirectory is not null || Pipe || PipePart is not null))
        {
            problems.Add("OnAll and NonAll cannot be combined with --joblog, --results, --pipe or --pipepart yet; run one 'spindle run -S HOST' per computer instead.");
        }

        if (!OperatingSystem.IsLinux())
        {
            problems.Add($"Job runs need Linux (process groups and posix_spawn); this is {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        }

        problems.ThrowIfAny("JobRunOptions");
        return new ValidatedJobRun(this, remote?.Slots ?? slots, halt, timeout, timeoutFraction, columnSeparator) { MaxLoad = maxLoad, Remote = remote };
    }

    /// <summary>The sshlogins of -S and --slf with their job slots, or null when there are none (every job runs here).</summary>
    private RemoteHosts? ValidateRemote(ProblemList problems, int slots)
    {
        var specs = new List<string>(SshLogins ?? []);
        foreach (var file in SshLoginFiles ?? [])
        {
            var path = file == ".." ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".parallel", "sshloginfile") : file;
            try
            {
                specs.AddRange(SshLogin.FileLines(path));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                problems.Add($"The sshlogin file '{path}' cannot be read ({e.Message.TrimEnd('.')}); check the path after --slf.");
            }
        }

        if (specs.Count == 0)
        {
            return null;
        }

        var ssh = Ssh ?? (Environment.GetEnvironmentVariable("PARALLEL_SSH") is { Length: > 0 } env ? env : "ssh");
        var logins = new List<SshLogin>();
        foreach (var spec in specs)
        {
            if (SshLogin.ParseList(spec, ssh, out var problem) is { } parsed)
            {
                logins.AddRange(parsed);
            }
            else
            {
                problems.Add(problem!);
            }
        }

        // -S a,a is one computer, as in GNU parallel.
        logins = [.. logins.DistinctBy(l => (l.Ssh, l.Host))];
        if (logins.Count == 0)
        {
            problems.Add("SshLogins names no computer; give at least one, for example -S server1 or -S : for this one.");
            return null;
        }

        var jobs = Jobs ?? "100%";
        // Whether -j depends on the cpu count at all: a plain N does not, and then no host is asked.
        var perCpu = !(JobSlotsSpec.TryParse(jobs, 1, out var one) && JobSlotsSpec.TryParse(jobs, 1000, out var two) && one == two);
        var withSlots = new List<(SshLogin, int)>();
        foreach (var login in logins)
        {
            var cpus = login.Cpus;
            if (cpus is null && perCpu)
            {
                if (login.IsLocal)
                {
                    cpus = Environment.ProcessorCount;
                }
                else if ((cpus = RemoteHosts.AskCpus(login, out var error)) is null)
                {
                    problems.Add($"The sshlogin '{login.Text}' could not be reached to count its cpus ({error}); check it with: {login.Prefix} true (or give the count, as 4/{login.Text}).");
                    continue;
                }
            }

            withSlots.Add((login, perCpu && JobSlotsSpec.TryParse(jobs, cpus!.Value, out var n) ? n : slots));
        }

        return withSlots.Count == 0 ? null : new RemoteHosts(withSlots, this);
    }
}
