using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Runtime.InteropServices;
using Spectre.Console;
using Spindle.Jobs;

namespace Spindle.Cli.Commands;

/// <summary><c>spindle run</c>: GNU parallel's command line over <see cref="JobRunner"/>. Parses and renders; nothing else.</summary>
/// <remarks>
/// GNU parallel's grammar is "options, then the command (whose words may look like options), then ::: sources", which
/// no option parser models. So the outer command only collects the raw words; they are split here into options,
/// command and sources, and the options alone go through a private System.CommandLine parser.
/// </remarks>
internal static class RunCommand
{
    public const int OtherError = 255;

    private const string Usage = "Usage: spindle run [options] COMMAND [::: values | :::: files]... ; try 'spindle run --help'.";

    private static readonly string[] Separators = [":::", ":::+", "::::", "::::+"];

    /// <summary><c>spindle run</c>, or (<paramref name="name"/> "sem") <c>spindle sem</c>, GNU's <c>sem</c>: <c>run --semaphore</c>.</summary>
    public static Command Create(IAnsiConsole console, RunStreams? streams = null, string name = "run")
    {
        var words = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore, Description = "COMMAND with replacement strings, then ::: values, :::: files or :::+ linked values." };
        var command = new Command(name, name == "sem" ? SemHelp : Help)
        {
            words,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((ParseResult result, CancellationToken token) =>
        {
            var raw = result.Tokens.SkipWhile(t => !(t.Type == TokenType.Command && t.Value == name)).Skip(1).Select(t => t.Value).ToArray();
            string[] own = name == "sem" ? ["--semaphore", .. raw] : raw;
            return Task.Run(() => Run(own, console, streams ?? RunStreams.Console, token), CancellationToken.None);
        });
        return command;
    }

    /// <summary>The words <see cref="Run"/> takes for a direct invocation: after "run", or "--semaphore" and the words after "sem".</summary>
    public static string[] DirectWords(string[] args) => args[0] == "sem" ? ["--semaphore", .. args[1..]] : args[1..];

    /// <summary>Whether <paramref name="args"/> is a <c>spindle run</c> or <c>spindle sem</c> that can skip the command tree (anything but a help request).</summary>
    public static bool IsDirectInvocation(string[] args)
    {
        if (args is not ["run" or "sem", ..])
        {
            return false;
        }

        for (var i = 1; i < args.Length && args[i].StartsWith('-') && Array.IndexOf(Separators, args[i]) < 0; i++)
        {
            if (args[i] is "--help" or "-h" or "-?")
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Runs <c>spindle run</c> on its own words (everything after "run"), blocking until the jobs end; returns GNU
    /// parallel's exit status.
    /// </summary>
    /// <remarks>
    /// Synchronous on purpose: a script starts `spindle run` once per line, and a run that never awaits never starts
    /// the thread pool, which is a noticeable share of a trivial run's start-up.
    /// </remarks>
    public static int Run(string[] args, IAnsiConsole? console, RunStreams streams, CancellationToken token)
    {
        if (AsksForVersion(args))
        {
            // As GNU parallel does: --version among the options prints the version and runs nothing.
            streams.Output.Write(System.Text.Encoding.UTF8.GetBytes(CliVersion.Text + "\n"));
            streams.Output.Flush();
            return 0;
        }

        var parsed = Parse(args, streams, out var error, out var display);
        if (parsed is null)
        {
            streams.Error.Write(System.Text.Encoding.UTF8.GetBytes($"spindle run: {error} {Usage}\n"));
            streams.Error.Flush();
            return OtherError;
        }

        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var renderer = display.Any ? new RunProgressRenderer(streams.ErrorConsole ?? ErrorConsole(), display) : null;
        var options = renderer is null ? parsed : parsed with { Progress = renderer, ReadInputsFirst = display.Bar || display.Eta };
        try
        {
            var result = JobRunner.Run(options, cancel.Token);
            renderer?.Complete();
            return result.ExitStatus;
        }
        catch (SpindleOptionsException e)
        {
            streams.Error.Write(System.Text.Encoding.UTF8.GetBytes($"spindle run: {OneLine(e)} {Usage}\n"));
            streams.Error.Flush();
            return OtherError;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C or SIGTERM: the running jobs' process trees were killed; GNU parallel exits 255.
            return OtherError;
        }

        void Cancel(PosixSignalContext context)
        {
            // We end the jobs and exit ourselves, as GNU parallel does, rather than die at once.
            context.Cancel = true;
            cancel.Cancel();
        }
    }

    /// <summary>Whether --version is among the options (the words before the command).</summary>
    private static bool AsksForVersion(string[] args)
    {
        for (var i = 0; i < args.Length && args[i].StartsWith('-') && args[i] is not ("--" or "-") && Array.IndexOf(Separators, args[i]) < 0; i++)
        {
            if (args[i] == "--version")
            {
                return true;
            }
        }

        return false;
    }

    private static IAnsiConsole ErrorConsole() => AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    private static string OneLine(SpindleOptionsException e) => string.Join(" ", e.Problems);

    /// <summary>Splits and parses the words; returns null with a one-line <paramref name="error"/> when they are not valid.</summary>
    internal static JobRunOptions? Parse(string[] args, RunStreams streams, out string error, out ProgressDisplay display)
    {
        display = default;
        // The option parser is built only when there are options: a bare `spindle run cmd ::: ...` then never loads
        // System.CommandLine, which is a fifth of a trivial run's start-up.
        OptionSpec? spec = null;
        var optionTokens = new List<string>();
        var i = 0;
        for (; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                i++;
                break;
            }

            if (Array.IndexOf(Separators, arg) >= 0 || !arg.StartsWith('-') || arg == "-")
            {
                break;
            }

            spec ??= new OptionSpec();
            if (!arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                // -kj4, -j4k, -N2, -C, : short options bundled in one word, as GNU parallel's Getopt allows.
                if (!TryUnbundle(arg, spec, optionTokens, out var needsNext, out error))
                {
                    return null;
                }

                if (needsNext == "-l")
                {
                    // -l's value is optional: the next word only if it is a number, as Getopt reads "l:f".
                    optionTokens.Add(i + 1 < args.Length && NumberPrefix(args[i + 1]) == args[i + 1].Length ? args[++i] : "1");
                }
                else if (needsNext is not null)
                {
                    if (i + 1 >= args.Length)
                    {
                        error = $"option '{needsNext}' needs a value.";
                        return null;
                    }

                    optionTokens.Add(args[++i]);
                }

                continue;
            }

            var name = arg;
            string? attached = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                (name, attached) = (arg[..eq], arg[(eq + 1)..]);
            }

            if (!spec.Knows(name))
            {
                error = $"unknown option '{name}'.";
                return null;
            }

            optionTokens.Add(name);
            if (name is "--max-lines" or "-l" && attached is null)
            {
                // An optional value: the next word only if it is a number, as Getopt reads "l:f".
                optionTokens.Add(i + 1 < args.Length && NumberPrefix(args[i + 1]) == args[i + 1].Length ? args[++i] : "1");
                continue;
            }

            if (spec.TakesValue(name))
            {
                if (attached is null)
                {
                    if (i + 1 >= args.Length)
                    {
                        error = $"option '{name}' needs a value.";
                        return null;
                    }

                    attached = args[++i];
                }

                optionTokens.Add(attached);
            }
            else if (attached is not null)
            {
                error = $"option '{name}' takes no value (was given '{attached}').";
                return null;
            }
        }

        var command = new List<string>();
        for (; i < args.Length && Array.IndexOf(Separators, args[i]) < 0; i++)
        {
            command.Add(args[i]);
        }

        var sources = new List<JobInputSource>();
        while (i < args.Length)
        {
            var separator = args[i++];
            var linked = separator.EndsWith('+');
            var values = new List<string>();
            for (; i < args.Length && Array.IndexOf(Separators, args[i]) < 0; i++)
            {
                values.Add(args[i]);
            }

            if (separator.StartsWith("::::", StringComparison.Ordinal))
            {
                if (values.Count == 0)
                {
                    error = $"'{separator}' must be followed by at least one file.";
                    return null;
                }

                for (var n = 0; n < values.Count; n++)
                {
                    sources.Add(JobInputSource.FromFile(values[n], linked && n == 0));
                }
            }
            else
            {
                sources.Add(JobInputSource.FromValues(values, linked));
            }
        }

        if (command.Count == 0 && !optionTokens.Contains("--wait"))
        {
            error = "missing command: give the command to run before ':::' (for example: spindle run gzip {} ::: *.log).";
            return null;
        }

        error = "";
        var options = new JobRunOptions
        {
            Command = command,
            Inputs = sources,
            StandardInput = streams.Input,
            StandardOutput = streams.Output,
            StandardError = streams.Error,
        };
        if (spec is null)
        {
            return options;
        }

        // No @response-file expansion: an option's value may start with @ (-S @hostgroup/host, --tagstring @{}).
        var result = spec.Parser.Parse(optionTokens, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            error = result.Errors[0].Message.TrimEnd('.') + ".";
            return null;
        }

        var pipePart = result.GetValue(spec.PipePart);
        string? pipePartFile = null;
        foreach (var file in result.GetValue(spec.ArgFile) ?? [])
        {
            if (pipePart)
            {
                // --pipepart -a FILE: the file is cut into the jobs' stdin, not read as arguments.
                pipePartFile ??= file;
                continue;
            }

            sources.Insert(0, JobInputSource.FromFile(file));
        }

        if (pipePart && pipePartFile is null)
        {
            error = "--pipepart needs the file to cut, given with -a FILE (for example: spindle run --pipepart -a big.txt wc -l).";
            return null;
        }

        long? memFree = null;
        if (result.GetValue(spec.MemFree) is { } memText)
        {
            if (!UnitPrefix.TryParse(memText, out var bytes))
            {
                error = $"--memfree must be a size such as 2G or 500M (was '{memText}').";
                return null;
            }

            memFree = bytes;
        }

        var blockSize = 1024L * 1024;
        if (result.GetValue(spec.Block) is { } blockText)
        {
            var negative = blockText.StartsWith('-');
            if (!UnitPrefix.TryParse(negative ? blockText[1..] : blockText, out blockSize))
            {
                error = $"--block must be a size such as 10M, 64k or 1048576 (was '{blockText}').";
                return null;
            }

            blockSize = negative ? -blockSize : blockSize;
        }

        if (!TryParseDelay(result.GetValue(spec.Delay), out var delay))
        {
            error = $"--delay must be a number of seconds, optionally with s, m, h or d (was '{result.GetValue(spec.Delay)}').";
            return null;
        }

        int? maxArgs = null, maxReplaceArgs = null, maxLines = null;
        var maxChars = JobRunOptions.DefaultMaxChars;
        foreach (var (option, set) in new (Option<string>, Action<int>)[]
        {
            (spec.MaxArgs, n => maxArgs = n),
            (spec.MaxReplaceArgs, n => maxReplaceArgs = n),
            (spec.MaxLinesL, n => maxLines = n),
            // -l 0 is -l 1 in GNU parallel.
            (spec.MaxLines, n => maxLines = Math.Max(n, 1)),
            (spec.MaxChars, n => maxChars = n),
        })
        {
            if (result.GetValue(option) is not { } text)
            {
                continue;
            }

            if (!UnitPrefix.TryParse(text, out var number) || number > int.MaxValue)
            {
                error = $"{option.Name} must be a whole number, optionally with a unit such as k or K (was '{text}').";
                return null;
            }

            set((int)number);
        }

        var argumentMode = result.GetValue(spec.Xargs) ? JobArgumentMode.Xargs
            : result.GetValue(spec.Multiple) ? JobArgumentMode.Multiple
            : result.GetValue(spec.ContextReplace) ? JobArgumentMode.ContextReplace
            : JobArgumentMode.OneInput;
        var mode = result.GetValue(spec.Ungroup) ? JobOutputMode.Ungroup : result.GetValue(spec.LineBuffer) ? JobOutputMode.LineBuffer : JobOutputMode.Group;
        var commandMode = result.GetValue(spec.NoShell) ? JobCommandMode.NoShell : result.GetValue(spec.Quote) ? JobCommandMode.QuoteCommand : JobCommandMode.Shell;
        display = new ProgressDisplay(result.GetValue(spec.Bar), result.GetValue(spec.Progress), result.GetValue(spec.Eta));
        var semaphoreWait = result.GetValue(spec.Wait);
        var foreground = result.GetValue(spec.Foreground);
        // As GNU parallel: any of the semaphore's options makes a semaphore, and --fg overrides --bg.
        var semaphore = result.GetValue(spec.Semaphore) || semaphoreWait || foreground || result.GetValue(spec.Background)
            || result.GetValue(spec.SemaphoreName) is not null || result.GetValue(spec.SemaphoreTimeout) is not null;
        TimeSpan? semaphoreTimeout = null;
        if (result.GetValue(spec.SemaphoreTimeout) is { } stText)
        {
            var negative = stText.StartsWith('-');
            if (!TryParseDelay(negative ? stText[1..] : stText, out var st) || st == TimeSpan.Zero)
            {
                error = $"--semaphoretimeout must be a number of seconds other than 0, negative to give up instead of running anyway (was '{stText}').";
                return null;
            }

            semaphoreTimeout = negative ? -st : st;
        }

        var transfers = new List<string>(result.GetValue(spec.TransferFile) ?? []);
        var returns = new List<string>(result.GetValue(spec.Return) ?? []);
        var trc = result.GetValue(spec.Trc) ?? [];
        // --transfer is --transferfile {}; --trc FILE is --transfer --return FILE --cleanup.
        if ((result.GetValue(spec.Transfer) || trc.Length > 0) && !transfers.Contains("{}"))
        {
            transfers.Add("{}");
        }

        returns.AddRange(trc);
        return options with
        {
            SshLogins = result.GetValue(spec.SshLogin) ?? [],
            SshLoginFiles = result.GetValue(spec.SshLoginFile) ?? [],
            Ssh = result.GetValue(spec.Ssh),
            TransferFiles = transfers,
            ReturnFiles = returns,
            BaseFiles = result.GetValue(spec.BaseFile) ?? [],
            Cleanup = result.GetValue(spec.Cleanup) || trc.Length > 0,
            OnAll = result.GetValue(spec.OnAll),
            NonAll = result.GetValue(spec.NonAll),
            WorkDir = result.GetValue(spec.WorkDir),
            Plus = result.GetValue(spec.Plus),
            Semaphore = semaphore,
            SemaphoreWait = semaphoreWait,
            SemaphoreForeground = foreground,
            SemaphoreName = result.GetValue(spec.SemaphoreName),
            SemaphoreTimeout = semaphoreTimeout,
            NullSeparated = result.GetValue(spec.Null),
            ColumnSeparator = result.GetValue(spec.ColSep),
            // GNU sem runs one command at a time unless told otherwise.
            Jobs = result.GetValue(spec.Jobs) ?? (semaphore ? "1" : "100%"),
            KeepOrder = result.GetValue(spec.KeepOrder),
            OutputMode = mode,
            Tag = result.GetValue(spec.Tag),
            CommandMode = commandMode,
            JobLog = result.GetValue(spec.JobLog),
            Resume = result.GetValue(spec.Resume),
            ResumeFailed = result.GetValue(spec.ResumeFailed),
            Retries = result.GetValue(spec.Retries),
            Timeout = result.GetValue(spec.Timeout),
            Halt = result.GetValue(spec.Halt),
            Delay = delay,
            DryRun = result.GetValue(spec.DryRun),
            ResultsDirectory = result.GetValue(spec.Results),
            MaxArgs = maxArgs,
            MaxReplaceArgs = maxReplaceArgs,
            MaxLines = maxLines,
            ArgumentMode = argumentMode,
            MaxChars = maxChars,
            Pipe = result.GetValue(spec.Pipe),
            PipePart = pipePartFile,
            PipeInput = streams.RawInput,
            BlockSize = blockSize,
            RecordStart = Unescape(result.GetValue(spec.RecStart)),
            RecordEnd = Unescape(result.GetValue(spec.RecEnd)),
            Header = result.GetValue(spec.Header),
            Link = result.GetValue(spec.Link),
            Shuffle = result.GetValue(spec.Shuffle),
            TagString = result.GetValue(spec.TagString),
            MemFree = memFree,
            Load = result.GetValue(spec.Load),
            NoSwap = result.GetValue(spec.NoSwap),
            Csv = result.GetValue(spec.Csv),
        };
    }

    /// <summary>
    /// Splits one word of bundled short options (<c>-kj4</c>) into option tokens, as Getopt's bundling does: flags
    /// follow each other, and an option that takes a value takes the rest of the word, or the next word when nothing
    /// is left (<paramref name="needsNext"/> then names it).
    /// </summary>
    /// <remarks>
    /// One step further than GNU parallel 20221122, which refuses <c>-j4k</c> ("Parsing of --jobs failed"): a number
    /// (4, +1, 50%) followed only by known flags is read as the number and those flags, since no valid value looks
    /// like that. Getopt does the same for integer options such as <c>-N2k</c>'s.
    /// </remarks>
    private static bool TryUnbundle(string word, OptionSpec spec, List<string> tokens, out string? needsNext, out string error)
    {
        needsNext = null;
        error = "";
        for (var at = 1; at < word.Length; at++)
        {
            var name = "-" + word[at];
            if (!spec.Knows(name))
            {
                error = at == 1 ? $"unknown option '{name}'." : $"unknown option '{name}' in '{word}'.";
                return false;
            }

            tokens.Add(name);
            if (!spec.TakesValue(name))
            {
                continue;
            }

            var rest = word[(at + 1)..];
            if (rest.Length == 0)
            {
                needsNext = name;
                return true;
            }

            var number = NumberPrefix(rest);
            if (number > 0 && number < rest.Length && rest[number..].All(c => spec.Knows("-" + c) && !spec.TakesValue("-" + c)))
            {
                tokens.Add(rest[..number]);
                at += number;
                continue;
            }

            tokens.Add(rest);
            return true;
        }

        return true;
    }

    // The length of the number (+4, -1, 2.5, 50%) that starts text, or 0.
    private static int NumberPrefix(string text)
    {
        var at = text.Length > 0 && text[0] is '+' or '-' ? 1 : 0;
        var digits = at;
        while (at < text.Length && (char.IsAsciiDigit(text[at]) || text[at] == '.'))
        {
            at++;
        }

        if (at == digits)
        {
            return 0;
        }

        return at < text.Length && text[at] == '%' ? at + 1 : at;
    }

    // --recstart and --recend are often written '\n' in single quotes, which GNU parallel reads as a newline.
    private static string? Unescape(string? text) => text?.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\t", "\t", StringComparison.Ordinal)
        .Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\0", "\0", StringComparison.Ordinal);

    private static bool TryParseDelay(string? text, out TimeSpan delay)
    {
        delay = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        var unit = text[^1] switch { 's' => 1.0, 'm' => 60.0, 'h' => 3600.0, 'd' => 86400.0, _ => 0.0 };
        var number = unit == 0.0 ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value < 0)
        {
            return false;
        }

        delay = TimeSpan.FromSeconds(value * (unit == 0.0 ? 1.0 : unit));
        return true;
    }

    private const string Help = """
        Run COMMAND once per input, many at a time, with GNU parallel's options and meanings.

          spindle run [options] COMMAND ::: a b c          values; several ':::' give every combination
          spindle run [options] COMMAND :::: FILE          lines of FILE ('-' is stdin); ':::+' / '::::+' pair with the source before
          ... | spindle run [options] COMMAND              lines of stdin

        Replacement strings: {} {.} {/} {//} {/.} {#} (job number) {%} (slot) {1} {2} {1.} {-1} ...; without any, the arguments are appended.

        Options:
          -j, --jobs N|N%|+N|-N|0   jobs at once (default 100% = one per core; 0 = as many as possible)
          -k, --keep-order          output in input order
          --group (default), --line-buffer/--lb, -u/--ungroup   output whole per job / in whole lines / as it comes
          --tag                     prefix output lines with the arguments
          --joblog FILE, --resume, --resume-failed, --retries N
          --timeout SECS|N%         kill a job's whole process tree
          --halt now|soon,fail|success|done=N|N%
          --delay SECS, --dry-run, --results DIR, --bar, --progress, --eta
          -q/--quote, --no-shell, -0/--null, -C/--colsep REGEX, -a/--arg-file FILE, --csv (quoted CSV columns)
          -N N, -n N, -L N, -l[N]   up to N inputs per job (-N: {1}..{N} over them and context replace)
          -X, -m, --xargs, -s N     as many inputs as fit on a command line of -s bytes (-X: pic{}.jpg repeats per input)
          --pipe, --pipepart -a FILE   cut stdin (or FILE) into chunks of whole records on each job's stdin:
            --block SIZE (1M), --recstart STR, --recend STR ('\n'), --header :|N|REGEX, -N records per job
          --header : with sources   each source's first value names its columns: {name}
          --link/--xapply, --shuf, --tagstring STR   pair sources (shorter ones wrap), random order, custom tag
          --memfree SIZE, --load N|N%, --noswap      start a job only while the machine has room
          -S/--sshlogin [N/]HOST|[N/]'ssh -p P HOST'|:,...  run on these computers (--slf FILE, --ssh CMD; -j counts per computer)
            --transferfile/--tf FILE, --transfer, --return FILE, --cleanup, --trc FILE, --basefile FILE, --workdir DIR|...|.
            --onall (every job on every computer), --nonall (the command once on each)
          --plus                    more replacement strings: {..} {...} {/..} {##} {0#} {:-str} {:N:M} {%re} {#re} {/re/str} {^re} {,re} ...
          --semaphore (or 'spindle sem'), --id NAME, --fg, --wait, --st SECS   a counting semaphore across invocations

        Exit status: 0 all succeeded; 1-100 that many failed; 101 more; 255 other errors.
        """;

    private const string SemHelp = """
        GNU parallel's sem: run COMMAND when fewer than -j commands of the same semaphore run (counted across every
        invocation, by flock'ed slot files in $SPINDLE_HOME/semaphores, default ~/.spindle/semaphores).

          spindle sem [-j N] [--id NAME] [--fg] COMMAND    wait for a slot, start COMMAND in the background, exit 0
                                                           (--fg: in the foreground, exit with its status)
          spindle sem [--id NAME] --wait                   wait until every command of the semaphore has ended

        -j N (default 1), N%, +N, -N as 'spindle run'; --id defaults to the terminal's name ('not a tty' without one);
        --st SECS: after SECS, run anyway (or, for -SECS, give up with exit status 1). Same as 'spindle run --semaphore'.
        """;

    /// <summary>The private parser of the options part, and what each option is called.</summary>
    private sealed class OptionSpec
    {
        public Option<string> Jobs { get; } = new("--jobs", "-j", "-P", "--max-procs");

        public Option<bool> KeepOrder { get; } = new("--keep-order", "-k");

        public Option<bool> Group { get; } = new("--group");

        public Option<bool> LineBuffer { get; } = new("--line-buffer", "--lb");

        public Option<bool> Ungroup { get; } = new("--ungroup", "-u");

        public Option<bool> Tag { get; } = new("--tag");

        public Option<string> JobLog { get; } = new("--joblog", "--jl");

        public Option<bool> Resume { get; } = new("--resume");

        public Option<bool> ResumeFailed { get; } = new("--resume-failed");

        public Option<int> Retries { get; } = new("--retries");

        public Option<string> Timeout { get; } = new("--timeout");

        public Option<string> Halt { get; } = new("--halt", "--halt-on-error");

        public Option<string> Delay { get; } = new("--delay");

        public Option<bool> DryRun { get; } = new("--dry-run", "--dryrun");

        public Option<string> Results { get; } = new("--results", "--res");

        public Option<bool> Bar { get; } = new("--bar");

        public Option<bool> Progress { get; } = new("--progress");

        public Option<bool> Eta { get; } = new("--eta");

        public Option<bool> Quote { get; } = new("--quote", "-q");

        public Option<bool> NoShell { get; } = new("--no-shell");

        public Option<bool> Null { get; } = new("--null", "-0");

        public Option<string> ColSep { get; } = new("--colsep", "-C");

        public Option<string[]> ArgFile { get; } = new("--arg-file", "-a") { AllowMultipleArgumentsPerToken = false };

        public Option<string> MaxArgs { get; } = new("--max-args", "-n");

        public Option<string> MaxReplaceArgs { get; } = new("--max-replace-args", "-N");

        public Option<string> MaxLinesL { get; } = new("-L");

        // -l's value is optional (GNU's "l:f"): Parse supplies 1 when it has none.
        public Option<string> MaxLines { get; } = new("--max-lines", "-l");

        public Option<bool> ContextReplace { get; } = new("-X");

        public Option<bool> Multiple { get; } = new("-m");

        public Option<bool> Xargs { get; } = new("--xargs");

        public Option<string> MaxChars { get; } = new("--max-chars", "-s");

        public Option<bool> Pipe { get; } = new("--pipe", "--spreadstdin");

        public Option<bool> PipePart { get; } = new("--pipepart", "--pipe-part");

        public Option<string> Block { get; } = new("--block", "--block-size", "--blocksize");

        public Option<string> RecStart { get; } = new("--recstart");

        public Option<string> RecEnd { get; } = new("--recend");

        public Option<string> Header { get; } = new("--header");

        public Option<bool> Link { get; } = new("--link", "--xapply");

        public Option<bool> Shuffle { get; } = new("--shuf");

        public Option<string> TagString { get; } = new("--tagstring");

        public Option<string> MemFree { get; } = new("--memfree");

        public Option<string> Load { get; } = new("--load");

        public Option<bool> NoSwap { get; } = new("--noswap");

        public Option<bool> Csv { get; } = new("--csv");

        public Option<bool> Semaphore { get; } = new("--semaphore");

        public Option<bool> Plus { get; } = new("--plus");

        public Option<string[]> SshLogin { get; } = new("--sshlogin", "-S") { AllowMultipleArgumentsPerToken = false };

        public Option<string[]> SshLoginFile { get; } = new("--sshloginfile", "--slf") { AllowMultipleArgumentsPerToken = false };

        public Option<string> Ssh { get; } = new("--ssh");

        public Option<string[]> TransferFile { get; } = new("--transferfile", "--tf") { AllowMultipleArgumentsPerToken = false };

        public Option<bool> Transfer { get; } = new("--transfer");

        public Option<string[]> Return { get; } = new("--return") { AllowMultipleArgumentsPerToken = false };

        public Option<string[]> Trc { get; } = new("--trc") { AllowMultipleArgumentsPerToken = false };

        public Option<string[]> BaseFile { get; } = new("--basefile", "--bf") { AllowMultipleArgumentsPerToken = false };

        public Option<bool> Cleanup { get; } = new("--cleanup");

        public Option<bool> OnAll { get; } = new("--onall");

        public Option<bool> NonAll { get; } = new("--nonall");

        public Option<string> WorkDir { get; } = new("--workdir", "--wd");

        public Option<string> SemaphoreName { get; } = new("--id", "--semaphorename", "--semaphore-name");

        public Option<bool> Foreground { get; } = new("--fg");

        public Option<bool> Background { get; } = new("--bg");

        public Option<bool> Wait { get; } = new("--wait");

        public Option<string> SemaphoreTimeout { get; } = new("--semaphoretimeout", "--semaphore-timeout", "--st");

        public OptionSpec()
        {
            // A plain Command, not a RootCommand: a root adds help, version and directives, which these options do not
            // need and which cost a quarter of a trivial run's start-up to build.
            Parser = new Command("run", "spindle run options")
            {
                Jobs, KeepOrder, Group, LineBuffer, Ungroup, Tag, JobLog, Resume, ResumeFailed, Retries, Timeout, Halt,
                Delay, DryRun, Results, Bar, Progress, Eta, Quote, NoShell, Null, ColSep, ArgFile, MaxArgs, MaxReplaceArgs,
                MaxLinesL, MaxLines, ContextReplace, Multiple, Xargs, MaxChars, Pipe, PipePart, Block, RecStart, RecEnd, Header,
                Link, Shuffle, TagString, MemFree, Load, NoSwap, Csv, Semaphore, SemaphoreName, Foreground, Background, Wait,
                SemaphoreTimeout, SshLogin, SshLoginFile, Ssh, TransferFile, Transfer, Return, Trc, BaseFile, Cleanup, OnAll, NonAll,
                WorkDir, Plus,
            };
            foreach (var option in Parser.Options)
            {
                _names[option.Name] = option;
                foreach (var alias in option.Aliases)
                {
                    _names[alias] = option;
                }
            }
        }

        private readonly Dictionary<string, Option> _names = new(StringComparer.Ordinal);

        public Command Parser { get; }

        public bool Knows(string name) => _names.ContainsKey(name);

        public bool TakesValue(string name) => Knows(name) && _names[name].ValueType != typeof(bool);
    }
}

/// <summary>Which of --bar, --progress and --eta were asked for.</summary>
internal readonly record struct ProgressDisplay(bool Bar, bool Progress, bool Eta)
{
    public bool Any => Bar || Progress || Eta;
}

/// <summary>Where <c>spindle run</c> reads and writes; tests pass in-memory streams.</summary>
/// <remarks><paramref name="RawInput"/> is what --pipe reads (null: the process's standard input).</remarks>
internal sealed record RunStreams(Stream Output, Stream Error, TextReader? Input, IAnsiConsole? ErrorConsole, Stream? RawInput = null)
{
    /// <summary>The process's own streams; standard input is left to the runner, which opens it only if a source reads it.</summary>
    public static RunStreams Console => new(System.Console.OpenStandardOutput(), System.Console.OpenStandardError(), null, null);
}
