using System.Globalization;
using System.Text.RegularExpressions;

namespace Spindle.Jobs;

/// <summary>GNU parallel's --jobs: N, N% (of cores), +N and -N (cores plus or minus N), 0 (as many as possible).</summary>
internal static partial class JobSlotsSpec
{
    /// <summary>What --jobs 0 means: GNU parallel stops where file handles run out; we stop here.</summary>
    public const int AsManyAsPossible = 256;

    public static bool TryParse(string spec, int cores, out int slots)
    {
        slots = 0;
        var match = Pattern().Match(spec.Trim());
        if (!match.Success || !decimal.TryParse(match.Groups["n"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        var sign = match.Groups["sign"].Value;
        if (match.Groups["pct"].Success)
        {
            if (sign.Length > 0)
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
            "+" => cores + whole,
            "-" => Math.Max(1, cores - whole),
            _ => whole == 0 ? AsManyAsPossible : whole,
        };
        return true;
    }

    [GeneratedRegex(@"^(?<sign>[+-]?)(?<n>[0-9]+(\.[0-9]+)?)(?<pct>%)?$")]
    private static partial Regex Pattern();
}
