using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Spindle.Jobs;

namespace Spindle.Cli.Commands.RunParsing;

/// <summary>
/// Reads the option tokens of <c>spindle run</c> into <see cref="JobRunOptions"/>: GNU parallel's value syntax (sizes,
/// delays, counts with unit prefixes) and the options that imply others (--trc, --fg, --pipepart -a).
/// </summary>
/// <remarks>
/// Each step adds one group of settings to the options, or stops with a one-line error; the steps that can fail run
/// in the order the first problem is reported in.
/// </remarks>
internal sealed class RunOptionsReader
{
    private readonly ParseResult _result;
    private readonly RunOptionSpec _spec;
    private readonly Stream? _rawInput;
    private string _error = "";

    private RunOptionsReader(ParseResult result, RunOptionSpec spec, Stream? rawInput)
    {
        _result = result;
        _spec = spec;
        _rawInput = rawInput;
    }

    /// <summary>
    /// Adds the options of <paramref name="tokens"/> to <paramref name="options"/> (which holds the command and sources)
    /// and <paramref name="rawInput"/>, what --pipe reads (null: the process's standard input); returns null with a
    /// one-line <paramref name="error"/> when they are not valid.
    /// </summary>
    public static JobRunOptions? Read(RunOptionSpec spec, List<string> tokens, JobRunOptions options, Stream? rawInput, out string error, out ProgressDisplay display)
    {
        display = default;
        // No @response-file expansion: an option's value may start with @ (-S @hostgroup/host, --tagstring @{}).
        var result = spec.Parser.Parse(tokens, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0)
        {
            error = result.Errors[0].Message.TrimEnd('.') + ".";
            return null;
        }

        var reader = new RunOptionsReader(result, spec, rawInput);
        var read = reader.WithArgFiles(options) is { } withArgFiles
            && reader.WithMachineLimits(withArgFiles) is { } withLimits
            && reader.WithPipe(withLimits) is { } withPipe
            && reader.WithJobControl(withPipe) is { } withJobControl
            && reader.WithInputsPerJob(withJobControl) is { } withInputsPerJob
            && reader.WithSemaphore(withInputsPerJob) is { } withSemaphore
                ? reader.WithRemote(reader.WithOutput(reader.WithInputFormat(withSemaphore)))
                : null;
        error = reader._error;
        display = read is null ? default : reader.Display();
        return read;
    }

    private T? Value<T>(Option<T> option) => _result.GetValue(option);

    private JobRunOptions? Fail(string error)
    {
        _error = error;
        return null;
    }

    // -a FILE: a source before those of :::: (or, with --pipepart, the file cut into the jobs' stdin).
    private JobRunOptions? WithArgFiles(JobRunOptions options)
    {
        var pipePart = Value(_spec.PipePart);
        string? pipePartFile = null;
        var sources = new List<JobInputSource>(options.Inputs);
        var fromFiles = 0;
        foreach (var file in Value(_spec.ArgFile) ?? [])
        {
            if (pipePart)
            {
                // --pipepart -a FILE: the file is cut into the jobs' stdin, not read as arguments.
                pipePartFile ??= file;
                continue;
            }

            // In the order given, before the sources after the command: -a foo -a bar pairs foo's lines with bar's.
            sources.Insert(fromFiles++, JobInputSource.FromFile(file));
        }

        if (pipePart && pipePartFile is null)
        {
            return Fail("--pipepart needs the file to cut, given with -a FILE (for example: spindle run --pipepart -a big.txt wc -l).");
        }

        return options with { Inputs = sources, PipePart = pipePartFile };
    }

    // --memfree (a size with a unit prefix), --load and --noswap: when the machine has room for one more job.
    private JobRunOptions? WithMachineLimits(JobRunOptions options)
    {
        long? memFree = null;
        if (Value(_spec.MemFree) is { } memText)
        {
            if (!UnitPrefix.TryParse(memText, out var bytes))
            {
                return Fail($"--memfree must be a size such as 2G or 500M (was '{memText}').");
            }

            memFree = bytes;
        }

        return options with { MemFree = memFree, Load = Value(_spec.Load), NoSwap = Value(_spec.NoSwap) };
    }

    // --pipe and --pipepart's chunks: --block (a size with a unit prefix; negative, a number of parts per slot) and
    // the records the chunks are cut between.
    private JobRunOptions? WithPipe(JobRunOptions options)
    {
        var blockSize = 1024L * 1024;
        if (Value(_spec.Block) is { } blockText)
        {
            var negative = blockText.StartsWith('-');
            if (!UnitPrefix.TryParse(negative ? blockText[1..] : blockText, out blockSize))
            {
                return Fail($"--block must be a size such as 10M, 64k or 1048576 (was '{blockText}').");
            }

            blockSize = negative ? -blockSize : blockSize;
        }

        return options with
        {
            Pipe = Value(_spec.Pipe),
            PipeInput = _rawInput,
            BlockSize = blockSize,
            RecordStart = Unescape(Value(_spec.RecStart)),
            RecordEnd = Unescape(Value(_spec.RecEnd)),
            Header = Value(_spec.Header),
        };
    }

    // How each job is started and how long it may take: --delay, the shell or not, retries, --timeout, --halt.
    private JobRunOptions? WithJobControl(JobRunOptions options)
    {
        if (!TryParseDelay(Value(_spec.Delay), out var delay))
        {
            return Fail($"--delay must be a number of seconds, optionally with s, m, h or d (was '{Value(_spec.Delay)}').");
        }

        return options with
        {
            Delay = delay,
            CommandMode = Value(_spec.NoShell) ? JobCommandMode.NoShell : Value(_spec.Quote) ? JobCommandMode.QuoteCommand : JobCommandMode.Shell,
            Plus = Value(_spec.Plus),
            Retries = Value(_spec.Retries),
            Timeout = Value(_spec.Timeout),
            Halt = Value(_spec.Halt),
        };
    }

    // -n, -N, -L, -l and -s, whole numbers with unit prefixes; and how inputs share a command line (-X, -m, --xargs).
    private JobRunOptions? WithInputsPerJob(JobRunOptions options)
    {
        int? maxArgs = null, maxReplaceArgs = null, maxLines = null;
        var maxChars = JobRunOptions.DefaultMaxChars;
        foreach (var (option, set) in new (Option<string>, Action<int>)[]
        {
            (_spec.MaxArgs, n => maxArgs = n),
            (_spec.MaxReplaceArgs, n => maxReplaceArgs = n),
            (_spec.MaxLinesL, n => maxLines = n),
            // -l 0 is -l 1 in GNU parallel.
            (_spec.MaxLines, n => maxLines = Math.Max(n, 1)),
            (_spec.MaxChars, n => maxChars = n),
        })
        {
            if (Value(option) is not { } text)
            {
                continue;
            }

            if (!UnitPrefix.TryParse(text, out var number) || number > int.MaxValue)
            {
                return Fail($"{option.Name} must be a whole number, optionally with a unit such as k or K (was '{text}').");
            }

            set((int)number);
        }

        var argumentMode = Value(_spec.Xargs) ? JobArgumentMode.Xargs
            : Value(_spec.Multiple) ? JobArgumentMode.Multiple
            : Value(_spec.ContextReplace) ? JobArgumentMode.ContextReplace
            : JobArgumentMode.OneInput;
        return options with { MaxArgs = maxArgs, MaxReplaceArgs = maxReplaceArgs, MaxLines = maxLines, MaxChars = maxChars, ArgumentMode = argumentMode };
    }

    // --semaphore and the options that imply it, and -j, whose default a semaphore changes.
    private JobRunOptions? WithSemaphore(JobRunOptions options)
    {
        var semaphoreWait = Value(_spec.Wait);
        var foreground = Value(_spec.Foreground);
        // As GNU parallel: any of the semaphore's options makes a semaphore, and --fg overrides --bg.
        var semaphore = Value(_spec.Semaphore) || semaphoreWait || foreground || Value(_spec.Background)
            || Value(_spec.SemaphoreName) is not null || Value(_spec.SemaphoreTimeout) is not null;
        TimeSpan? semaphoreTimeout = null;
        if (Value(_spec.SemaphoreTimeout) is { } stText)
        {
            var negative = stText.StartsWith('-');
            if (!TryParseDelay(negative ? stText[1..] : stText, out var st) || st == TimeSpan.Zero)
            {
                return Fail($"--semaphoretimeout must be a number of seconds other than 0, negative to give up instead of running anyway (was '{stText}').");
            }

            semaphoreTimeout = negative ? -st : st;
        }

        return options with
        {
            Semaphore = semaphore,
            SemaphoreWait = semaphoreWait,
            SemaphoreForeground = foreground,
            SemaphoreName = Value(_spec.SemaphoreName),
            SemaphoreTimeout = semaphoreTimeout,
            // GNU sem runs one command at a time unless told otherwise.
            Jobs = Value(_spec.Jobs) ?? (semaphore ? "1" : "100%"),
        };
    }

    // How the sources' values are read: -0, --colsep, --csv, --link, --shuf.
    private JobRunOptions WithInputFormat(JobRunOptions options) => options with
    {
        NullSeparated = Value(_spec.Null),
        ColumnSeparator = Value(_spec.ColSep),
        Csv = Value(_spec.Csv),
        Link = Value(_spec.Link),
        Shuffle = Value(_spec.Shuffle),
    };

    // What the user sees of the jobs, and what is kept of them: order, grouping, tags, --results, --joblog, --dry-run.
    private JobRunOptions WithOutput(JobRunOptions options) => options with
    {
        KeepOrder = Value(_spec.KeepOrder),
        OutputMode = Value(_spec.Ungroup) ? JobOutputMode.Ungroup : Value(_spec.LineBuffer) ? JobOutputMode.LineBuffer : JobOutputMode.Group,
        Tag = Value(_spec.Tag),
        TagString = Value(_spec.TagString),
        ResultsDirectory = Value(_spec.Results),
        JobLog = Value(_spec.JobLog),
        Resume = Value(_spec.Resume),
        ResumeFailed = Value(_spec.ResumeFailed),
        DryRun = Value(_spec.DryRun),
    };

    // -S and --slf's computers and the files sent to and fetched from them, spelt out: --transfer is --transferfile {},
    // and --trc FILE is --transfer --return FILE --cleanup.
    private JobRunOptions WithRemote(JobRunOptions options)
    {
        var transfers = new List<string>(Value(_spec.TransferFile) ?? []);
        var returns = new List<string>(Value(_spec.Return) ?? []);
        var trc = Value(_spec.Trc) ?? [];
        if ((Value(_spec.Transfer) || trc.Length > 0) && !transfers.Contains("{}"))
        {
            transfers.Add("{}");
        }

        returns.AddRange(trc);
        return options with
        {
            SshLogins = Value(_spec.SshLogin) ?? [],
            SshLoginFiles = Value(_spec.SshLoginFile) ?? [],
            Ssh = Value(_spec.Ssh),
            TransferFiles = transfers,
            ReturnFiles = returns,
            BaseFiles = Value(_spec.BaseFile) ?? [],
            Cleanup = Value(_spec.Cleanup) || trc.Length > 0,
            OnAll = Value(_spec.OnAll),
            NonAll = Value(_spec.NonAll),
            WorkDir = Value(_spec.WorkDir),
        };
    }

    // Which of --bar, --progress and --eta were asked for: the command renders them, the runner only reports counts.
    private ProgressDisplay Display() => new(Value(_spec.Bar), Value(_spec.Progress), Value(_spec.Eta));

    // --recstart and --recend are often written '\n' in single quotes, which GNU parallel reads as a newline.
    private static string? Unescape(string? text) => text?.Replace("\\n", "\n", StringComparison.Ordinal).Replace("\\t", "\t", StringComparison.Ordinal)
        .Replace("\\r", "\r", StringComparison.Ordinal).Replace("\\0", "\0", StringComparison.Ordinal);

    // A number of seconds, or of minutes, hours or days with m, h or d (s for seconds is allowed too); empty is none.
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
}
