using System.Globalization;

namespace Spindle.Jobs;

/// <summary>--results DIR: each job's output in GNU parallel's layout, DIR/1/&lt;arg1&gt;/2/&lt;arg2&gt;/{seq,stdout,stderr}.</summary>
internal static class ResultsWriter
{
    public static void Write(string root, IReadOnlyList<string> args, long seq, CapturedOutput? stdout, CapturedOutput? stderr)
    {
        var dir = root;
        for (var i = 0; i < args.Count; i++)
        {
            dir = Path.Combine(dir, (i + 1).ToString(CultureInfo.InvariantCulture), Escape(args[i]));
        }

        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "seq"), seq.ToString(CultureInfo.InvariantCulture));
        Copy(stdout, Path.Combine(dir, "stdout"));
        Copy(stderr, Path.Combine(dir, "stderr"));
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
}
