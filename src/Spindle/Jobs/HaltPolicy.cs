using System.Globalization;

namespace Spindle.Jobs;

/// <summary>GNU parallel's --halt: when to stop (now or soon), on what (fail, success or done), after how many (N or N%).</summary>
internal sealed class HaltPolicy
{
    private HaltPolicy(HaltWhen when, HaltOn on, int count, double fraction)
    {
        When = when;
        On = on;
        Count = count;
        Fraction = fraction;
    }

    public static HaltPolicy Never { get; } = new(HaltWhen.Never, HaltOn.Fail, 0, 0);

    public HaltWhen When { get; }

    public HaltOn On { get; }

    /// <summary>The number of jobs, or 0 when <see cref="Fraction"/> applies.</summary>
    public int Count { get; }

    /// <summary>The fraction of all jobs (N% / 100), or 0 when <see cref="Count"/> applies.</summary>
    public double Fraction { get; }

    public bool IsPercent => Fraction > 0;

    /// <summary>Parses GNU parallel's forms, including the legacy 0, 1, 2, -1, -2 and a bare N%.</summary>
    public static bool TryParse(string spec, out HaltPolicy policy)
    {
        policy = Never;
        spec = spec.Trim() switch
        {
            "0" => "never",
            "1" => "soon,fail=1",
            "2" => "now,fail=1",
            "-1" => "soon,success=1",
            "-2" => "now,success=1",
            var s when s.EndsWith('%') && int.TryParse(s[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out _) => "soon,fail=" + s,
            var s => s,
        };

        var parts = spec.Split([',', '=']);
        var when = parts[0] switch
        {
            "never" => HaltWhen.Never,
            "soon" => HaltWhen.Soon,
            "now" => HaltWhen.Now,
            _ => (HaltWhen?)null,
        };
        if (when is null)
        {
            return false;
        }

        if (when == HaltWhen.Never)
        {
            return parts.Length == 1;
        }

        if (parts.Length != 3)
        {
            return false;
        }

        var on = parts[1] switch
        {
            "fail" => HaltOn.Fail,
            "success" => HaltOn.Success,
            "done" => HaltOn.Done,
            _ => (HaltOn?)null,
        };
        if (on is null)
        {
            return false;
        }

        var amount = parts[2];
        if (amount.EndsWith('%') && int.TryParse(amount[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var pct) && pct is > 0 and <= 100)
        {
            policy = new HaltPolicy(when.Value, on.Value, 0, pct / 100.0);
            return true;
        }

        if (int.TryParse(amount, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
        {
            policy = new HaltPolicy(when.Value, on.Value, count, 0);
            return true;
        }

        return false;
    }
}

/// <summary>When --halt stops the run once its condition holds.</summary>
internal enum HaltWhen
{
    Never,

    /// <summary>Start no more jobs; let the running ones finish.</summary>
    Soon,

    /// <summary>Kill the running jobs and exit at once.</summary>
    Now,
}

/// <summary>What --halt counts.</summary>
internal enum HaltOn
{
    Fail,
    Success,
    Done,
}
