using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Spindle.Jobs;

/// <summary>GNU parallel's --joblog: a TSV file with one line per finished job, and its reader for --resume.</summary>
internal sealed partial class JobLog : IDisposable
{
    public const string Header = "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand";

    private readonly StreamWriter _writer;

    private JobLog(StreamWriter writer) => _writer = writer;

    /// <summary>Opens the log: appended to when resuming from an existing log (no second header), else created anew.</summary>
    public static JobLog Open(string path, bool append)
    {
        var exists = File.Exists(path);
        var stream = new FileStream(path, append && exists ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        var writer = new StreamWriter(stream, new UTF8Encoding(false)) { NewLine = "\n" };
        if (!(append && exists))
        {
            writer.WriteLine(Header);
            writer.Flush();
        }

        return new JobLog(writer);
    }

    /// <summary>One line, exactly as GNU parallel prints it (starttime %.3f, runtime %10.3f, host ":" for this machine).</summary>
    public static string FormatLine(long seq, DateTimeOffset start, TimeSpan runtime, long received, int exitValue, int signal, string command, string host = ":")
    {
        var startSeconds = start.ToUnixTimeMilliseconds() / 1000.0;
        return string.Create(CultureInfo.InvariantCulture, $"{seq}\t{host}\t{startSeconds:0.000}\t{runtime.TotalSeconds,10:0.000}\t0\t{received}\t{exitValue}\t{signal}\t{command.Replace('\n', '\0')}");
    }

    public void Write(string line)
    {
        // One writer for all slots; a finished job's line goes out (and is flushed) whole, so a killed run leaves
        // a log that --resume can read.
        lock (_writer)
        {
            _writer.WriteLine(line);
            _writer.Flush();
        }
    }

    /// <summary>
    /// The job numbers that --resume (every logged job) or --resume-failed (only those with exit value 0 and no
    /// signal) skips; an empty set when the log does not exist. Throws InvalidDataException on a malformed line.
    /// </summary>
    public static HashSet<long> ReadDone(string path, bool onlySucceeded)
    {
        var done = new HashSet<long>();
        if (!File.Exists(path))
        {
            return done;
        }

        var first = true;
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (first)
            {
                first = false;
                if (line.StartsWith("Seq\t", StringComparison.Ordinal))
                {
                    continue;
                }
            }

            if (line.Length == 0)
            {
                continue;
            }

            var match = Line().Match(line);
            if (!match.Success)
            {
                throw new InvalidDataException($"The job log '{path}' has a malformed line {lineNumber} ('{line}'); it must be a --joblog written by spindle run or GNU parallel.");
            }

            if (!onlySucceeded || (match.Groups["exit"].Value == "0" && match.Groups["signal"].Value == "0"))
            {
                done.Add(long.Parse(match.Groups["seq"].Value, CultureInfo.InvariantCulture));
            }
        }

        return done;
    }

    public void Dispose() => _writer.Dispose();

    [GeneratedRegex(@"^(?<seq>\d+)\t[^\t]*\t[-0-9.]+\t\s*[-0-9.]+\t[-0-9]+\t[-0-9]+\t(?<exit>-?\d+)\t(?<signal>\d+)\t")]
    private static partial Regex Line();
}
