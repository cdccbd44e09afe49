using System.Globalization;

namespace Spindle.Jobs;

/// <summary>GNU parallel's --timeout: seconds, or N% of the median run time of the jobs that succeeded so far.</summary>
internal static class TimeoutSpec
{
    /// <summary>Parses "2.5" (seconds) or "200%" (a fraction of the median, 2.0).</summary>
    public static bool TryParse(string spec, out TimeSpan? absolute, out double? fractionOfMedian)
    {
        absolute = null;
        fractionOfMedian = null;
        spec = spec.Trim();
        if (spec.EndsWith('%'))
        {
            if (double.TryParse(spec[..^1], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var pct) && pct > 0)
            {
                fractionOfMedian = pct / 100.0;
                return true;
            }

            return false;
        }

        if (double.TryParse(spec, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 && seconds < TimeSpan.MaxValue.TotalSeconds)
        {
            absolute = TimeSpan.FromSeconds(seconds);
            return true;
        }

        return false;
    }
}
