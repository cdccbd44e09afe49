namespace Spindle.Hosting;

/// <summary>The executors an app declared, by name (empty for the default one), in the order it declared them.</summary>
internal sealed class SpindleRegistrations
{
    public List<string> Names { get; } = [];
}
