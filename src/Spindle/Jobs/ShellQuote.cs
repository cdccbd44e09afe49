namespace Spindle.Jobs;

/// <summary>Quotes a value for a Bourne shell exactly as GNU parallel does (its shell_quote_scalar_default).</summary>
internal static class ShellQuote
{
    /// <summary>Whether every character is one that GNU parallel leaves bare: [-_.+a-zA-Z0-9/].</summary>
    /// <remarks>
    /// A plain loop rather than SearchValues: its vectorised search is compiled at start-up (it is generic over
    /// value types, so not precompiled), costing a trivial `spindle run` milliseconds, while values are short.
    /// </remarks>
    public static bool IsSafe(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '+' or '/'))
            {
                return false;
            }
        }

        return true;
    }

    public static string Quote(string value)
    {
        if (value.Length == 0)
        {
            return "''";
        }

        if (IsSafe(value))
        {
            return value;
        }

        // 'a'"'"'b': single-quote the whole, close-quote-reopen around each single quote, then drop the empty ''
        // that a leading or trailing single quote leaves (GNU parallel's s/^''// and s/''$//).
        var quoted = "'" + value.Replace("'", "'\"'\"'", StringComparison.Ordinal) + "'";
        if (quoted.StartsWith("''", StringComparison.Ordinal))
        {
            quoted = quoted[2..];
        }

        if (quoted.EndsWith("''", StringComparison.Ordinal))
        {
            quoted = quoted[..^2];
        }

        return quoted;
    }
}
