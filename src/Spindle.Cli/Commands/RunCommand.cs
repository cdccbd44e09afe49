using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Spectre.Console;
using Spindle.Cli.Commands.RunParsing;
using Spindle.Jobs;

namespace Spindle.Cli.Commands;

/// <summary><c>spindle run</c>: GNU parallel's command line over <see cref="JobRunner"/>. Parses and renders; nothing else.</summary>
/// <remarks>
/// GNU parallel's grammar is "options, then the command (whose words may look like options), then ::: sources", which
/// no option parser models. So the outer command only collects the raw words; <see cref="RunWords"/> splits them into
/// options, command and sources, and <see cref="RunOptionsReader"/> reads the options alone through a private
/// System.CommandLine parser (<see cref="RunOptionSpec"/>).
/// </remarks>
internal static class RunCommand
{
    public const int OtherError = 255;

    private const string Usage = "Usage: spindle run [options] COMMAND [::: values | :::: files]... ; try 'spindle run --help'.";

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

        for (var i = 1; i < args.Length && args[i].StartsWith('-') && !RunWords.IsSeparator(args[i]); i++)
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
        for (var i = 0; i < args.Length && args[i].StartsWith('-') && args[i] is not ("--" or "-") && !RunWords.IsSeparator(args[i]); i++)
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
        if (RunWords.Split(args, out error) is not { } words)
        {
            return null;
        }

        if (words.Command.Count == 0 && !words.OptionTokens.Contains("--wait"))
        {
            error = "missing command: give the command to run before ':::' (for example: spindle run gzip {} ::: *.log).";
            return null;
        }

        var options = new JobRunOptions
        {
            Command = words.Command,
            Inputs = words.Sources,
            StandardInput = streams.Input,
            StandardOutput = streams.Output,
            StandardError = streams.Error,
        };
        return words.Spec is null ? options : RunOptionsReader.Read(words.Spec, words.OptionTokens, options, streams.RawInput, out error, out display);
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
