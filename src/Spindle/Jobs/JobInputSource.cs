namespace Spindle.Jobs;

/// <summary>One input source of a job run: GNU parallel's <c>::: values</c>, <c>:::: file</c> or standard input.</summary>
public sealed class JobInputSource
{
    private JobInputSource(IReadOnlyList<string>? values, string? path, TextReader? reader, bool linked)
    {
        Values = values;
        Path = path;
        Reader = reader;
        LinkedToPrevious = linked;
    }

    /// <summary>The literal values (<c>::: a b c</c>), or null when the source is a file or a reader.</summary>
    public IReadOnlyList<string>? Values { get; }

    /// <summary>The file whose lines are the values (<c>:::: FILE</c>), or null.</summary>
    public string? Path { get; }

    /// <summary>The reader whose lines are the values (standard input), or null.</summary>
    public TextReader? Reader { get; }

    /// <summary>Whether this source pairs element-wise with the one before it (<c>:::+</c> and <c>::::+</c>) instead of combining with it.</summary>
    public bool LinkedToPrevious { get; }

    /// <summary>A source of literal values, as <c>::: a b c</c>.</summary>
    public static JobInputSource FromValues(IEnumerable<string> values, bool linkedToPrevious = false)
    {
        ArgumentNullException.ThrowIfNull(values);
        return new JobInputSource([.. values], null, null, linkedToPrevious);
    }

    /// <summary>A source whose values are the lines (or NUL-separated records) of a file, as <c>:::: FILE</c>; <c>-</c> means standard input.</summary>
    public static JobInputSource FromFile(string path, bool linkedToPrevious = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new JobInputSource(null, path, null, linkedToPrevious);
    }

    /// <summary>A source whose values are the lines (or NUL-separated records) read from <paramref name="reader"/>, pulled only as jobs start.</summary>
    public static JobInputSource FromReader(TextReader reader, bool linkedToPrevious = false)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return new JobInputSource(null, null, reader, linkedToPrevious);
    }

    /// <summary>Whether the first value is a --header line, skipped when the values are read.</summary>
    internal bool SkipsFirst { get; private init; }

    /// <summary>This source without its first value (the --header line, already read from a file).</summary>
    internal JobInputSource WithoutFirst() => Values is not null
        ? new JobInputSource([.. Values.Skip(1)], null, null, LinkedToPrevious)
        : new JobInputSource(null, Path, Reader, LinkedToPrevious) { SkipsFirst = true };

    /// <inheritdoc />
    public override string ToString() => Values is not null ? $"::: ({Values.Count} values)" : Path is not null ? $":::: {Path}" : "standard input";
}
