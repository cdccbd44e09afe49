using System.Text.RegularExpressions;

namespace Spindle.Jobs;

/// <summary>
/// Options after validation, with every spec parsed, and what every kind of run reads from them: the command template,
/// each job's arguments or chunk, and the jobs --resume skips.
/// </summary>
internal sealed record ValidatedJobRun(JobRunOptions Options, int Slots, HaltPolicy Halt, TimeSpan? Timeout, double? TimeoutFraction, Regex? ColumnSeparator)
{
    /// <summary>The computers jobs run on (-S, --slf), or null for this one only.</summary>
    public RemoteHosts? Remote { get; init; }

    /// <summary>--load's limit in running processes, parsed.</summary>
    public double? MaxLoad { get; init; }

    /// <summary>The --memfree, --load and --noswap gate.</summary>
    public ResourceGate Gate() => new(Options.MemFree, MaxLoad, Options.NoSwap, Options.MachineProbe);

    /// <summary>How many inputs a job takes at most, as GNU parallel settles it: -N, else -n, else -L; null for no count.</summary>
    public int? MaxInputs => Options.MaxReplaceArgs ?? Options.MaxArgs ?? Options.MaxLines;

    /// <summary>Whether jobs take several inputs (any of -N -n -L -X -m --xargs), which the run then groups.</summary>
    public bool GroupsInputs => MaxInputs is not null || Options.ArgumentMode != JobArgumentMode.OneInput;

    /// <summary>Whether a word holding {} is repeated per argument: -X, and -N or -L unless -m or --xargs.</summary>
    public bool ContextReplace => Options.ArgumentMode == JobArgumentMode.ContextReplace
        || ((Options.MaxReplaceArgs is not null || Options.MaxLines is not null) && Options.ArgumentMode == JobArgumentMode.OneInput);

    private (IReadOnlyList<JobInputSource> Sources, IReadOnlyList<string> Command)? _named;

    /// <summary>
    /// With --header and input sources (not --pipe): each source's first value names its columns, {name} in the command
    /// meaning that column as {n} would; returns the sources without their header lines and the command rewritten.
    /// </summary>
    private (IReadOnlyList<JobInputSource> Sources, IReadOnlyList<string> Command) Named()
    {
        if (_named is { } done)
        {
            return done;
        }

        var options = Options;
        if (options.Header is null || options.Header == "0" || Pipes)
        {
            return (_named = (options.Inputs, options.Command)).Value;
        }

        var sources = options.Inputs.Count > 0 ? options.Inputs : [JobInputSource.FromReader(options.StandardInput ?? Console.In)];
        var renamed = new List<JobInputSource>();
        var command = options.Command.ToList();
        var position = 1;
        foreach (var source in sources)
        {
            var header = InputCombiner.FirstValue(source, () => options.StandardInput ?? Console.In, options.NullSeparated);
            // GNU parallel splits the header line on --colsep, or on tabs without one; a reader has just given up its
            // first line, so only a file or values source still holds it.
            renamed.Add(source.Reader is null && source.Path != "-" ? source.WithoutFirst() : source);
            foreach (var name in header is null ? [] : ColumnSeparator is { } separator ? separator.Split(header) : header.Split('	'))
            {
                var id = position++.ToString(System.Globalization.CultureInfo.InvariantCulture);
                foreach (var suffix in (string[])["", ".", "/", "//", "/."])
                {
                    for (var w = 0; w < command.Count; w++)
                    {
                        command[w] = command[w].Replace("{" + name + suffix + "}", "{" + id + suffix + "}", StringComparison.Ordinal);
                    }
                }
            }
        }

        return (_named = (renamed, command)).Value;
    }

    /// <summary>The command template these options describe.</summary>
    public CommandTemplate Template() => new(Named().Command, Options.CommandMode, Options.Plus) { ContextReplace = ContextReplace, MaxSlots = Slots };

    // --csv's separator: --colsep's one character (written as a regex, so \t is a tab), a comma without it.
    private static char CsvSeparator(string? columnSeparator) => columnSeparator is null ? ',' : JobRunOptions.OneCharacter(columnSeparator) ?? ',';

    /// <summary>Whether jobs read chunks of a stream or file on their stdin (--pipe, --pipepart) instead of taking arguments.</summary>
    public bool Pipes => Options.Pipe || Options.PipePart is not null;

    /// <summary>The --pipe or --pipepart chunks, cut as jobs ask for them.</summary>
    public IEnumerable<PipeChunk> PipeChunks()
    {
        var options = Options;
        var splitter = new PipeSplitter(options.RecordStart, options.RecordEnd, options.BlockSize, options.MaxReplaceArgs, options.Header);
        if (options.PipePart is { } file)
        {
            return FileChunks(splitter, file);
        }

        return options.PipeInput is null && splitter.CanSpliceStandardInput() ? splitter.SpliceStandardInput() : splitter.Split(options.PipeInput ?? Console.OpenStandardInput());
    }

    private IEnumerable<PipeChunk> FileChunks(PipeSplitter splitter, string path)
    {
        using var file = File.OpenHandle(path);
        var size = RandomAccess.GetLength(file);
        var header = splitter.FileHeader(file);
        // GNU parallel: a negative --block with --pipepart is the number of parts per job slot.
        var block = Options.BlockSize > 0 ? Options.BlockSize : Math.Max(1, (long)Math.Ceiling((size - header.Length) / (double)(Slots * -Options.BlockSize)));
        foreach (var (start, end) in splitter.FileParts(file, header.Length, size, block))
        {
            yield return PipeChunk.FromFile(header, (int)file.DangerousGetHandle(), start, end - start);
        }
    }

    /// <summary>Each job's arguments, read from the inputs and grouped as -N, -n, -L, -X, -m and --xargs say.</summary>
    public IEnumerable<string[]> JobArguments(CommandTemplate template)
    {
        var options = Options;
        if (options.PresetArguments is { } preset)
        {
            return preset;
        }

        var records = InputCombiner.Combine(Named().Sources, () => options.StandardInput ?? Console.In, options.NullSeparated, ColumnSeparator, continueLines: options.MaxLines is not null, link: options.Link, csv: options.Csv ? CsvSeparator(options.ColumnSeparator) : null);
        if (!GroupsInputs)
        {
            return records;
        }

        var spread = options.ArgumentMode is JobArgumentMode.ContextReplace or JobArgumentMode.Multiple;
        return ArgumentGrouper.Group(records, MaxInputs, options.MaxChars, template.BaseLength, template.ArgumentLength, spread, Slots);
    }

    /// <summary>
    /// Each job's input in run order: its arguments, or under --pipe and --pipepart its chunk. When <paramref name="readAll"/>
    /// is set or a template needs the number of jobs (--plus's {##} and {0#}), every input is read first, and
    /// <paramref name="total"/> and both templates get the count.
    /// </summary>
    public IEnumerable<JobInput> Inputs(CommandTemplate template, JobTag? tag, bool readAll, out long? total)
    {
        var inputs = Pipes ? PipeChunks().Select(chunk => new JobInput([], chunk)) : JobArguments(template).Select(args => new JobInput(args, null));
        if (Options.Shuffle)
        {
            // --shuf: GNU parallel reads every input, then runs the jobs in a random order.
            var shuffled = inputs.ToArray();
            Random.Shared.Shuffle(shuffled);
            inputs = shuffled;
        }

        total = null;
        if (!readAll && !template.NeedsTotal && tag is not { NeedsTotal: true })
        {
            return inputs;
        }

        var all = inputs.ToList();
        total = all.Count;
        template.Total = all.Count;
        tag?.SetTotal(all.Count);
        return all;
    }

    /// <summary>The numbers of the jobs the job log shows as done, which --resume (or, failed ones aside, --resume-failed) skips.</summary>
    public HashSet<long> ResumeSet()
    {
        if ((!Options.Resume && !Options.ResumeFailed) || Options.JobLog is null)
        {
            return [];
        }

        try
        {
            return JobLog.ReadDone(Options.JobLog, onlySucceeded: Options.ResumeFailed);
        }
        catch (InvalidDataException e)
        {
            throw new SpindleOptionsException("JobRunOptions", [e.Message]);
        }
    }
}
