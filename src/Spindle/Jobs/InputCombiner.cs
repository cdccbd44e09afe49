using System.Text;
using System.Text.RegularExpressions;

namespace Spindle.Jobs;

/// <summary>
/// Turns the input sources into each job's arguments as GNU parallel does: several sources give every
/// combination (the last source varying fastest), a linked source (:::+) pairs element-wise with the one before it
/// (stopping at the shorter), and --colsep splits each value into columns.
/// </summary>
internal static class InputCombiner
{
    public static IEnumerable<string[]> Combine(IReadOnlyList<JobInputSource> sources, TextReader standardInput, bool nullSeparated, Regex? columnSeparator) =>
        Combine(sources, () => standardInput, nullSeparated, columnSeparator);

    /// <summary>As above, asking for standard input only when a source reads it: creating the console's reader costs start-up time.</summary>
    /// <remarks>With <paramref name="continueLines"/> (-L, -l), a line read from a file or stdin that ends in a blank goes on in the next line, as in xargs and GNU parallel.</remarks>
    /// <remarks>With <paramref name="link"/> (--link, --xapply), the sources pair element-wise instead, the shorter ones wrapping around.</remarks>
    /// <remarks>With <paramref name="csv"/> (--csv), values are CSV records split on that character: quoted fields may hold it, quotes and newlines.</remarks>
    public static IEnumerable<string[]> Combine(IReadOnlyList<JobInputSource> sources, Func<TextReader> standardInput, bool nullSeparated, Regex? columnSeparator, bool continueLines = false, bool link = false, char? csv = null)
    {
        if (sources.Count == 0)
        {
            sources = [JobInputSource.FromReader(standardInput())];
        }

        if (csv is { } separator)
        {
            // CSV records may span lines (a quoted newline), so they are joined before anything else sees them.
            return Combine(sources.Select(s => JobInputSource.FromValues(CsvRecords(Read(s, standardInput, nullSeparated, continueLines: false)), s.LinkedToPrevious)).ToList(), standardInput, nullSeparated, null, false, link)
                .Select(row => row.SelectMany(value => CsvFields(value, separator)).ToArray());
        }

        if (sources.Count == 0)
        {
            sources = [JobInputSource.FromReader(standardInput())];
        }

        // One source streams: a pipe of endless lines starts jobs as lines arrive, in constant memory.
        if (sources.Count == 1)
        {
            return Read(sources[0], standardInput, nullSeparated, continueLines).Select(v => Split(v, columnSeparator));
        }

        return link ? LinkAll(sources, standardInput, nullSeparated, columnSeparator, continueLines) : CombineMany(sources, standardInput, nullSeparated, columnSeparator, continueLines);
    }

    private static IEnumerable<string[]> CombineMany(IReadOnlyList<JobInputSource> sources, Func<TextReader> standardInput, bool nullSeparated, Regex? columnSeparator, bool continueLines)
    {
        // Every combination needs every source in full, so they are read up front.
        var groups = new List<List<string[]>>();
        foreach (var source in sources)
        {
            var rows = Read(source, standardInput, nullSeparated, continueLines).Select(v => Split(v, columnSeparator)).ToList();
            if (source.LinkedToPrevious && groups.Count > 0)
            {
                var previous = groups[^1];
                var linked = new List<string[]>(Math.Min(previous.Count, rows.Count));
                for (var i = 0; i < Math.Min(previous.Count, rows.Count); i++)
                {
                    linked.Add([.. previous[i], .. rows[i]]);
                }

                groups[^1] = linked;
            }
            else
            {
                groups.Add(rows);
            }
        }

        if (groups.Exists(g => g.Count == 0))
        {
            yield break;
        }

        var index = new int[groups.Count];
        while (true)
        {
            var args = new List<string>();
            for (var g = 0; g < groups.Count; g++)
            {
                args.AddRange(groups[g][index[g]]);
            }

            yield return [.. args];

            // An odometer: the last group turns fastest.
            var position = groups.Count - 1;
            while (position >= 0 && ++index[position] == groups[position].Count)
            {
                index[position] = 0;
                position--;
            }

            if (position < 0)
            {
                yield break;
            }
        }
    }

    // GNU parallel's --link: row i takes value i of every source, a shorter source starting over from its first value,
    // until the longest source is used up.
    private static IEnumerable<string[]> LinkAll(IReadOnlyList<JobInputSource> sources, Func<TextReader> standardInput, bool nullSeparated, Regex? columnSeparator, bool continueLines)
    {
        var all = sources.Select(s => Read(s, standardInput, nullSeparated, continueLines).Select(v => Split(v, columnSeparator)).ToList()).ToList();
        if (all.Exists(rows => rows.Count == 0))
        {
            yield break;
        }

        var longest = all.Max(rows => rows.Count);
        for (var i = 0; i < longest; i++)
        {
            var args = new List<string>();
            foreach (var rows in all)
            {
                args.AddRange(rows[i % rows.Count]);
            }

            yield return [.. args];
        }
    }

    // Joins lines while a record holds an odd number of quotes: its last field goes on after a quoted newline.
    private static IEnumerable<string> CsvRecords(IEnumerable<string> lines)
    {
        string? open = null;
        foreach (var line in lines)
        {
            var record = open is null ? line : open + "\n" + line;
            if (record.Count(c => c == '"') % 2 == 1)
            {
                open = record;
                continue;
            }

            open = null;
            yield return record;
        }

        if (open is not null)
        {
            yield return open;
        }
    }

    // RFC 4180 fields: a quoted field may hold the separator, newlines and doubled quotes.
    private static List<string> CsvFields(string record, char separator)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < record.Length; i++)
        {
            var c = record[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < record.Length && record[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == separator)
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        fields.Add(field.ToString());
        return fields;
    }

    private static string[] Split(string value, Regex? columnSeparator) => columnSeparator is null ? [value] : columnSeparator.Split(value);

    private static IEnumerable<string> Read(JobInputSource source, Func<TextReader> standardInput, bool nullSeparated, bool continueLines) =>
        source.SkipsFirst ? ReadAll(source, standardInput, nullSeparated, continueLines).Skip(1) : ReadAll(source, standardInput, nullSeparated, continueLines);

    /// <summary>The first value of a source, for its --header line; null when it has none.</summary>
    public static string? FirstValue(JobInputSource source, Func<TextReader> standardInput, bool nullSeparated) =>
        ReadAll(source, standardInput, nullSeparated, continueLines: false).Take(1).FirstOrDefault();

    private static IEnumerable<string> ReadAll(JobInputSource source, Func<TextReader> standardInput, bool nullSeparated, bool continueLines)
    {
        if (source.Values is not null)
        {
            return source.Values;
        }

        if (source.Reader is not null)
        {
            return ReadRecords(source.Reader, nullSeparated, dispose: false, continueLines);
        }

        return source.Path == "-" ? ReadRecords(standardInput(), nullSeparated, dispose: false, continueLines) : ReadFile(source.Path!, nullSeparated, continueLines);
    }

    private static IEnumerable<string> ReadFile(string path, bool nullSeparated, bool continueLines)
    {
        var reader = new StreamReader(path, Encoding.UTF8);
        return ReadRecords(reader, nullSeparated, dispose: true, continueLines);
    }

    private static IEnumerable<string> ReadRecords(TextReader reader, bool nullSeparated, bool dispose, bool continueLines)
    {
        try
        {
            if (!nullSeparated)
            {
                string? continued = null;
                while (reader.ReadLine() is { } line)
                {
                    if (continued is not null)
                    {
                        (line, continued) = (continued + line, null);
                    }

                    if (continueLines && line.Length > 0 && char.IsWhiteSpace(line[^1]))
                    {
                        continued = line;
                        continue;
                    }

                    yield return line;
                }

                if (continued is not null)
                {
                    yield return continued;
                }

                yield break;
            }

            var record = new StringBuilder();
            int c;
            while ((c = reader.Read()) >= 0)
            {
                if (c == 0)
                {
                    yield return record.ToString();
                    record.Clear();
                }
                else
                {
                    record.Append((char)c);
                }
            }

            if (record.Length > 0)
            {
                yield return record.ToString();
            }
        }
        finally
        {
            if (dispose)
            {
                reader.Dispose();
            }
        }
    }
}
