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

    public static Command Create(IAnsiConsole console, RunStreams? streams = null)
    {
        var words = new Argument<string[]>("words") { Arity = ArgumentArity.ZeroOrMore, Description = "COMMAND with replacement strings, then ::: values, :::: files or :::+ linked values." };
        var command = new Command("run", Help)
        {
            words,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((ParseResult result, CancellationToken token) =>
        {
            var raw = result.Tokens.SkipWhile(t => !(t.Type == TokenType.Command && t.Value == "run")).Skip(1).Select(t => t.Value).ToArray();
            return Task.Run(() => Run(raw, console, streams ?? RunStreams.Console, token), CancellationToken.None);
        });
        return command;
    }

    /// <summary>Whether <paramref name="args"/> is a <c>spindle run</c> that can skip the command tree (anything but a help request).</summary>
    public static bool IsDirectInvocation(string[] args)
    {
        if (args is not ["run", ..])
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
            var name = arg;
            string? attached = null;
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.IndexOf('=', StringComparison.Ordinal) is var eq and > 0)
            {
                (name, attached) = (arg[..eq], arg[(eq + 1)..]);
            }
            else if (!arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 && spec.TakesValue(arg[..2]))
            {
                // -j4, -C, : a short option with its value attached, as GNU parallel allows.
                (name, attached) = (arg[..2], arg[2..]);
            }

            if (!spec.Knows(name))
            {
                error = $"unknown option '{name}'.";
                return null;
            }

            optionTokens.Add(name);
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

        if (command.Count == 0)
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

        var result = spec.Parser.Parse(optionTokens);
        if (result.Errors.Count > 0)
        {
            error = result.Errors[0].Message.TrimEnd('.') + ".";
            return null;
        }

        foreach (var file in result.GetValue(spec.ArgFile) ?? [])
        {
            sources.Insert(0, JobInputSource.FromFile(file));
        }

        if (!TryParseDelay(result.GetValue(spec.Delay), out var delay))
        {
            error = $"--delay must be a number of seconds, optionally with s, m, h or d (was '{result.GetValue(spec.Delay)}').";
            return null;
        }

        var mode = result.GetValue(spec.Ungroup) ? JobOutputMode.Ungroup : result.GetValue(spec.LineBuffer) ? JobOutputMode.LineBuffer : JobOutputMode.Group;
        var commandMode = result.GetValue(spec.NoShell) ? JobCommandMode.NoShell : result.GetValue(spec.Quote) ? JobCommandMode.QuoteCommand : JobCommandMode.Shell;
        display = new ProgressDisplay(result.GetValue(spec.Bar), result.GetValue(spec.Progress), result.GetValue(spec.Eta));
        return options with
        {
            NullSeparated = result.GetValue(spec.Null),
            ColumnSeparator = result.GetValue(spec.ColSep),
            Jobs = result.GetValue(spec.Jobs) ?? "100%",
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
        };
    }

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
          -q/--quote, --no-shell, -0/--null, -C/--colsep REGEX, -a/--arg-file FILE

        Exit status: 0 all succeeded; 1-100 that many failed; 101 more; 255 other errors.
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

        public OptionSpec()
        {
            // A plain Command, not a RootCommand: a root adds help, version and directives, which these options do not
            // need and which cost a quarter of a trivial run's start-up to build.
            Parser = new Command("run", "spindle run options")
            {
                Jobs, KeepOrder, Group, LineBuffer, Ungroup, Tag, JobLog, Resume, ResumeFailed, Retries, Timeout, Halt,
                Delay, DryRun, Results, Bar, Progress, Eta, Quote, NoShell, Null, ColSep, ArgFile,
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
internal sealed record RunStreams(Stream Output, Stream Error, TextReader? Input, IAnsiConsole? ErrorConsole)
{
    /// <summary>The process's own streams; standard input is left to the runner, which opens it only if a source reads it.</summary>
    public static RunStreams Console => new(System.Console.OpenStandardOutput(), System.Console.OpenStandardError(), null, null);
}
