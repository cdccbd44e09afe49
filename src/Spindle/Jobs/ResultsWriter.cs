using System.Globalization;
using System.Text;

namespace Spindle.Jobs;

/// <summary>
/// --results NAME, in GNU parallel's four forms: a directory tree DIR/1/&lt;arg1&gt;/2/&lt;arg2&gt;/{seq,stdout,stderr};
/// a path holding replacement strings (each job writes PATH, PATH.err and PATH.seq, or PATH/seq, stdout and stderr when
/// it ends in /); or one table of every job, NAME.csv, NAME.tsv or NAME.json (one object per line; -.csv is stdout).
/// As in GNU parallel 20221122, the jobs' output then goes only there, not to the terminal.
/// </summary>
internal sealed class ResultsWriter : IDisposable
{
    private readonly string _root;
    private readonly Form _form;
    private readonly CommandTemplate? _path;
    // Guards the table file: jobs finish on their own slot threads, and each row must be written whole.
    private readonly Lock _tableLock = new();
    private readonly StreamWriter? _table;

    private ResultsWriter(string root, Form form, CommandTemplate? path, StreamWriter? table)
    {
        _root = root;
        _form = form;
        _path = path;
        _table = table;
    }

    private enum Form
    {
        Tree,
        PathTemplate,
        Csv,
        Tsv,
        Json,
    }

    /// <summary>
    /// Opens --results <paramref name="name"/>; a table gets its header row now (<paramref name="sources"/> value columns
    /// V1..Vn). A table named -.csv, -.tsv or -.json goes to <paramref name="stdout"/>.
    /// </summary>
    public static ResultsWriter Open(string name, int sources, Stream stdout)
    {
        var form = name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) ? Form.Csv
            : name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? Form.Tsv
            : name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? Form.Json
            : Form.Tree;
        if (form == Form.Tree)
        {
            var path = new CommandTemplate([name], JobCommandMode.NoShell);
            return new ResultsWriter(name, path.HasReplacement ? Form.PathTemplate : Form.Tree, path.HasReplacement ? path : null, null);
        }

        var table = name is "-.csv" or "-.tsv" or "-.json"
            ? new StreamWriter(stdout, new UTF8Encoding(false), 4096, leaveOpen: true)
            : new StreamWriter(name, append: false, new UTF8Encoding(false));
        if (form != Form.Json)
        {
            var separator = form == Form.Csv ? "," : "\t";
            var columns = new List<string> { "Seq", "Host", "Starttime", "JobRuntime", "Send", "Receive", "Exitval", "Signal", "Command" };
            columns.AddRange(Enumerable.Range(1, Math.Max(sources, 1)).Select(i => "V" + i.ToString(CultureInfo.InvariantCulture)));
            columns.AddRange(["Stdout", "Stderr"]);
            table.Write(string.Join(separator, columns) + "\n");
            table.Flush();
        }

        return new ResultsWriter(name, form, null, table);
    }

    /// <summary>Records one finished job.</summary>
    public void Write(JobResultRecord job)
    {
        switch (_form)
        {
            case Form.Tree:
                {
                    var dir = _root;
                    for (var i = 0; i < job.Args.Count; i++)
                    {
                        dir = Path.Combine(dir, (i + 1).ToString(CultureInfo.InvariantCulture), Escape(job.Args[i]));
                    }

                    Directory.CreateDirectory(dir);
                    File.WriteAllText(Path.Combine(dir, "seq"), job.Seq.ToString(CultureInfo.InvariantCulture));
                    Copy(job.Stdout, Path.Combine(dir, "stdout"));
                    Copy(job.Stderr, Path.Combine(dir, "stderr"));
                    break;
                }

            case Form.PathTemplate:
                {
                    var path = _path!.RenderText(job.Args, job.Seq, job.Slot);
                    if (path.EndsWith('/'))
                    {
                        // A rendered name ending in / is a folder holding seq, stdout and stderr.
                        Directory.CreateDirectory(path);
                        File.WriteAllText(Path.Combine(path, "seq"), job.Seq.ToString(CultureInfo.InvariantCulture));
                        Copy(job.Stdout, Path.Combine(path, "stdout"));
                        Copy(job.Stderr, Path.Combine(path, "stderr"));
                        break;
                    }

                    if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir)
                    {
                        Directory.CreateDirectory(dir);
                    }

                    Copy(job.Stdout, path);
                    Copy(job.Stderr, path + ".err");
                    File.WriteAllText(path + ".seq", job.Seq.ToString(CultureInfo.InvariantCulture));
                    break;
                }

            default:
                {
                    var row = _form == Form.Json ? JsonRow(job) : TableRow(job, _form == Form.Csv ? ',' : '\t');
                    lock (_tableLock)
                    {
                        _table!.Write(row);
                        _table.Flush();
                    }

                    break;
                }
        }
    }

    private static string TableRow(JobResultRecord job, char separator)
    {
        var fields = new List<string>
        {
            job.Seq.ToString(CultureInfo.InvariantCulture), ":", Seconds(job.Start.ToUnixTimeMilliseconds() / 1000.0),
            Seconds(job.Runtime.TotalSeconds), "0", job.Received.ToString(CultureInfo.InvariantCulture),
            job.ExitValue.ToString(CultureInfo.InvariantCulture), job.Signal.ToString(CultureInfo.InvariantCulture), job.Command,
        };
        fields.AddRange(job.Args);
        fields.Add(Text(job.Stdout));
        fields.Add(Text(job.Stderr));
        return string.Join(separator, fields.Select(f => QuoteField(f, separator))) + "\n";
    }

    // GNU parallel quotes a field holding the separator, a quote or white space, doubling its quotes.
    private static string QuoteField(string field, char separator) =>
        field.Any(c => c == separator || c == '"' || char.IsWhiteSpace(c)) ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;

    private static string JsonRow(JobResultRecord job)
    {
        var sb = new StringBuilder("{ ");
        sb.Append("\"Seq\": ").Append(job.Seq.ToString(CultureInfo.InvariantCulture))
          .Append(", \"Host\": \":\", \"Starttime\": ").Append(Seconds(job.Start.ToUnixTimeMilliseconds() / 1000.0))
          .Append(", \"JobRuntime\": ").Append(Seconds(job.Runtime.TotalSeconds))
          .Append(", \"Send\": 0, \"Receive\": ").Append(job.Received.ToString(CultureInfo.InvariantCulture))
          .Append(", \"Exitval\": ").Append(job.ExitValue.ToString(CultureInfo.InvariantCulture))
          .Append(", \"Signal\": ").Append(job.Signal.ToString(CultureInfo.InvariantCulture))
          .Append(", \"Command\": ").Append(JsonString(job.Command))
          .Append(", \"V\": [ ").Append(string.Join(", ", job.Args.Select(JsonString))).Append(" ]")
          .Append(", \"Stdout\": ").Append(JsonString(Text(job.Stdout)))
          .Append(", \"Stderr\": ").Append(JsonString(Text(job.Stderr)))
          .Append(" }\n");
        return sb.ToString();
    }

    // As GNU parallel writes JSON strings: quote and backslash escaped, control characters as \u00XX.
    private static string JsonString(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            if (c is '"' or '\\')
            {
                sb.Append('\\').Append(c);
            }
            else if (c < ' ')
            {
                sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.Append('"').ToString();
    }

    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture);

    private static string Text(CapturedOutput? output)
    {
        if (output is null)
        {
            return "";
        }

        var bytes = new List<byte>();
        output.CopyTo(chunk => bytes.AddRange(chunk));
        return Encoding.UTF8.GetString([.. bytes]);
    }

    private static void Copy(CapturedOutput? output, string path)
    {
        using var file = File.Create(path);
        output?.CopyTo(chunk => file.Write(chunk));
    }

    // GNU parallel writes a value as one path component: "\" becomes "\\" and "/" becomes "\_"; an empty value or
    // a dot-only name cannot be a folder, so it gets the same escape.
    private static string Escape(string value)
    {
        var escaped = value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("/", "\\_", StringComparison.Ordinal);
        return escaped is "" or "." or ".." ? "\\_" + escaped : escaped;
    }

    public void Dispose() => _table?.Dispose();
}
