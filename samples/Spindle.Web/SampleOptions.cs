namespace Spindle.Web;

/// <summary>The sample's own settings, from the "Sample" configuration section.</summary>
public sealed class SampleOptions
{
    /// <summary>Where /heavy runs.</summary>
    public HeavyMode HeavyMode { get; set; } = HeavyMode.Spindle;

    /// <summary>The iterations of /heavy's loop; the default is about 20 ms of one core on the machine it was written on.</summary>
    public int HeavyIterations { get; set; } = 6_500_000;

    /// <summary>How long /parse may run in its isolated worker before the worker is killed and the request gets 504.</summary>
    public TimeSpan ParseTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
