using System.Globalization;

namespace Spindle.Cli.Commands;

/// <summary>GNU parallel's unit prefixes on numbers: K M G T P multiply by powers of 1024, k m g t p by powers of 1000.</summary>
internal static class UnitPrefix
{
    /// <summary>Parses "10M" (10485760), "2k" (2000), "1.5K" (1536) or "7"; false for anything else or a negative number.</summary>
    public static bool TryParse(string? text, out long value)
    {
        value = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        var multiplier = text[^1] switch
        {
            'K' => 1024.0,
            'M' => 1024.0 * 1024,
            'G' => 1024.0 * 1024 * 1024,
            'T' => 1024.0 * 1024 * 1024 * 1024,
            'P' => 1024.0 * 1024 * 1024 * 1024 * 1024,
            'k' => 1e3,
            'm' => 1e6,
            'g' => 1e9,
            't' => 1e12,
            'p' => 1e15,
            _ => 1.0,
        };
        var number = multiplier == 1.0 ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) || n * multiplier >= long.MaxValue)
        {
            return false;
        }

        value = (long)Math.Round(n * multiplier);
        return true;
    }
}
