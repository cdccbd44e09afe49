using System.Globalization;
using Xunit.Abstractions;

namespace Spindle.Tests.Reliability;

/// <summary>
/// Sizes of the reliability suite: small enough for CI by default, the full sizes when SPINDLE_SOAK=1
/// (benchmarks/reliability/soak.sh). Figures go to the test output and, when SPINDLE_RELIABILITY_FIGURES names a
/// file, are appended to it as "key&lt;TAB&gt;value" lines for the soak script to write into docs/reliability.md.
/// </summary>
internal static class Soak
{
    /// <summary>The hard timeout of a reliability test: room for the soak sizes; CI sizes also race <see cref="Deadline"/>.</summary>
    public const int Hard = 1_800_000;

    public static bool IsOn => Environment.GetEnvironmentVariable("SPINDLE_SOAK") == "1";

    /// <summary>How long a whole reliability test may take before it counts as hung: 2 minutes in CI, 30 in a soak.</summary>
    public static TimeSpan Deadline => IsOn ? TimeSpan.FromMinutes(30) : TimeSpan.FromMinutes(2);

    public static int Scale(int ci, int soak) => IsOn ? soak : ci;

    public static void Record(ITestOutputHelper output, string key, FormattableString value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        output.WriteLine($"{key}: {text}");
        if (Environment.GetEnvironmentVariable("SPINDLE_RELIABILITY_FIGURES") is { Length: > 0 } path)
        {
            lock (typeof(Soak))
            {
                File.AppendAllText(path, $"{key}\t{text}{Environment.NewLine}");
            }
        }
    }
}

/// <summary>The reliability tests run one at a time, after the rest: they kill processes and read memory figures that parallel tests would blur.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ReliabilitySuite
{
    public const string Name = "Reliability";
}
