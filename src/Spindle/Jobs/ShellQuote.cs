using System.Buffers;

namespace Spindle.Jobs;

/// <summary>Quotes a value for a Bourne shell exactly as GNU parallel does (its shell_quote_scalar_default).</summary>
internal static class ShellQuote
{
    // GNU parallel leaves a value bare only when every character is one of these.
    private static readonly SearchValues<char> Safe = SearchValues.Create("-_.+abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/");

    public static string Quote(string value)
    {
        if (value.Length == 0)
        {
            return "''";
        }

        if (!value.AsSpan().ContainsAnyExcept(Safe))
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
