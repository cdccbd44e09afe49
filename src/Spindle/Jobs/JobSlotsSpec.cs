using System.Globalization;

namespace Spindle.Jobs;

/// <summary>GNU parallel's --jobs: N, N% (of cores), +N and -N (cores plus or minus N), 0 (as many as possible).</summary>
internal static class JobSlotsSpec
{
    /// <summary>What --jobs 0 means: GNU parallel stops where file handles run out; we stop here.</summary>
    public const int AsManyAsPossible = 256;

    public static bool TryParse(string spec, int cores, out int slots)
    {
        // [+-]?N(.N)?%? read by hand: `spindle run` parses this at every start, and a regular expression would load
        // the regex engine for it.
        slots = 0;
        var text = spec.AsSpan().Trim();
        var sign = text.Length > 0 && text[0] is '+' or '-' ? text[0] : '\0';
        var number = sign == '\0' ? text : text[1..];
        var percent = number.EndsWith('%');
        if (percent)
        {
            number = number[..^1];
        }

        if (!IsDecimal(number) || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        if (percent)
        {
            if (sign != '\0')
            {
                return false;
            }

            slots = Math.Max(1, (int)Math.Floor(cores * n / 100m));
            return true;
        }

        if (n != Math.Floor(n))
        {
            return false;
        }

        var whole = (int)Math.Min(n, int.MaxValue);
        slots = sign switch
        {
            '+' => cores + whole,
            '-' => Math.Max(1, cores - whole),
            _ => whole == 0 ? AsManyAsPossible : whole,
        };
        return true;
    }

    // [0-9]+(\.[0-9]+)?
    private static bool IsDecimal(ReadOnlySpan<char> text)
    {
        var dot = text.IndexOf('.');
        var whole = dot < 0 ? text : text[..dot];
        var fraction = dot < 0 ? "0" : text[(dot + 1)..];
        return whole.Length > 0 && fraction.Length > 0 && AllDigits(whole) && AllDigits(fraction);
    }

    private static bool AllDigits(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }
}
