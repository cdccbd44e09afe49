using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Spindle.Jobs;

/// <summary>
/// The value transforms that GNU parallel's --plus adds, each what its Perl substitution does: {..} {...} {/..} {/...}
/// {+/} {+.} {+..} {+...}, and the ones after Bash's parameter expansion: {:-str} {:N} {:N:M} {#re} {##re} {%re}
/// {%%re} {/re/str} {//re/str} {/#re/str} {/%re/str} {^re} {^^re} {,re} {,,re}. Any of them may follow a position
/// ({2%.gz}).
/// </summary>
internal static class PlusReplacement
{
    /// <summary>The transform that <paramref name="body"/> (what follows the position inside the braces) names, or null.</summary>
    public static Func<string, string>? Parse(string body)
    {
        switch (body)
        {
            // {} = {+/}/{/} = {.}.{+.} = {..}.{+..} = {...}.{+...}
            case "+/": return v => Replace(v, "/[^/]*$", "", out var hit) is var r && hit ? r : "";
            case "+.": return v => Replace(v, @".*\.", "", out var hit) is var r && hit ? r : "";
            case "+..": return v => Replace(v, @".*\.([^/.]*\.[^/.]*)$", "$1", out var hit) is var r && hit ? r : "";
            case "+...": return v => Replace(v, @".*\.([^/.]*\.[^/.]*\.[^/.]*)$", "$1", out var hit) is var r && hit ? r : "";
            case "..": return v => Replace(v, @"\.[^/.]*\.[^/.]*$", "", out _);
            case "...": return v => Replace(v, @"\.[^/.]*\.[^/.]*\.[^/.]*$", "", out _);
            case "/..": return v => Replace(PathParts.Basename(v), @"\.[^/.]*\.[^/.]*$", "", out _);
            case "/...": return v => Replace(PathParts.Basename(v), @"\.[^/.]*\.[^/.]*\.[^/.]*$", "", out _);
        }

        try
        {
            return Dynamic(body);
        }
        catch (ArgumentException)
        {
            // Not a valid regular expression: the braces stay literal text.
            return null;
        }
    }

    private static Func<string, string>? Dynamic(string body)
    {
        if (body.StartsWith(":-", StringComparison.Ordinal) && body.Length > 2)
        {
            // Perl's $_ ||= str: an empty value, and "0", are false.
            var text = body[2..];
            return v => v is "" or "0" ? text : v;
        }

        if (body.StartsWith(':') && SubstringArguments(body[1..]) is { } substring)
        {
            var (from, length) = substring;
            return v => from >= v.Length ? "" : length is { } n ? v.Substring(from, Math.Min(n, v.Length - from)) : v[from..];
        }

        if (body.StartsWith("##", StringComparison.Ordinal) && body.Length > 2 && body[2] != '#')
        {
            var regex = Compile("^" + body[2..]);
            return v => regex.Replace(v, "", 1);
        }

        if (body.StartsWith('#') && body.Length > 1 && body[1] != '#')
        {
            var regex = Compile("^" + Ungreedy(body[1..]) + "(.*)");
            return v => regex.Replace(v, "$1", 1);
        }

        if (body.StartsWith("%%", StringComparison.Ordinal) && body.Length > 2)
        {
            var regex = Compile(body[2..] + "$");
            return v => regex.Replace(v, "", 1);
        }

        if (body.StartsWith('%') && body.Length > 1)
        {
            var regex = Compile("(.*)" + Ungreedy(body[1..]) + "$");
            return v => regex.Replace(v, "$1", 1);
        }

        if (body.StartsWith('/') && body.Length > 1)
        {
            var (prefix, rest, all) = body[1] switch
            {
                '/' => ("", body[2..], true),
                '#' => ("^", body[2..], true),
                '%' => ("", body[2..], true),
                _ => ("", body[1..], false),
            };
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                return null;
            }

            var regex = Compile(prefix + rest[..slash] + (body[1] == '%' ? "$" : ""));
            var replacement = rest[(slash + 1)..];
            return v => regex.Replace(v, replacement, all ? -1 : 1);
        }

        foreach (var (marker, upper, all) in (ReadOnlySpan<(string, bool, bool)>)[("^^", true, true), ("^", true, false), (",,", false, true), (",", false, false)])
        {
            if (body.StartsWith(marker, StringComparison.Ordinal) && body.Length > marker.Length)
            {
                var regex = Compile((all ? "(" : "^(") + body[marker.Length..] + ")");
                return v => regex.Replace(v, m => upper ? m.Value.ToUpperInvariant() : m.Value.ToLowerInvariant(), all ? -1 : 1);
            }
        }

        return null;
    }

    // {:N} and {:N:M}: the start and the optional length, or null when body is not N or N:M.
    private static (int From, int? Length)? SubstringArguments(string body)
    {
        var parts = body.Split(':');
        if (parts.Length > 2 || parts.Any(p => p.Length == 0 || !p.All(char.IsAsciiDigit)))
        {
            return null;
        }

        var from = int.Parse(parts[0], CultureInfo.InvariantCulture);
        return (from, parts.Length == 2 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : null);
    }

    private static Regex Compile(string pattern) => new(pattern, RegexOptions.CultureInvariant);

    private static string Replace(string value, string pattern, string replacement, out bool matched)
    {
        // The static methods keep the few patterns above compiled in the regex cache.
        var match = Regex.Match(value, pattern, RegexOptions.CultureInvariant);
        matched = match.Success;
        return matched ? string.Concat(value.AsSpan(0, match.Index), match.Result(replacement), value.AsSpan(match.Index + match.Length)) : value;
    }

    /// <summary>GNU parallel's make_regexp_ungreedy: a '?' after every quantifier (* + {..}) outside a character class.</summary>
    public static string Ungreedy(string regexp)
    {
        var ungreedy = new StringBuilder();
        bool inClass = false, escaped = false, found = false;
        foreach (var c in regexp)
        {
            if (found)
            {
                if (c != '?')
                {
                    ungreedy.Append('?');
                }

                found = false;
            }

            ungreedy.Append(c);
            if (escaped)
            {
                escaped = false;
                continue;
            }

            if (c == '\\')
            {
                escaped = true;
                continue;
            }

            if (c == '[')
            {
                inClass = true;
                continue;
            }

            if (inClass)
            {
                inClass = c != ']';
                continue;
            }

            found = c is '*' or '}' or '+';
        }

        if (found)
        {
            ungreedy.Append('?');
        }

        return ungreedy.ToString();
    }
}
