namespace Spindle.Internal;

/// <summary>
/// Reads a non-negative decimal number without the globalization machinery: in an app without invariant globalization,
/// the first use of a CultureInfo (even the invariant one) loads ICU, some 3 MB a worker would carry for nothing.
/// </summary>
internal static class Digits
{
    /// <summary>The number written in <paramref name="text"/>; <paramref name="fallback"/> if it is empty or not all digits.</summary>
    public static long Parse(ReadOnlySpan<char> text, long fallback)
    {
        text = text.Trim();
        if (text.IsEmpty || text.Length > 18)
        {
            return fallback;
        }

        long value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return fallback;
            }

            value = (value * 10) + (c - '0');
        }

        return value;
    }
}
