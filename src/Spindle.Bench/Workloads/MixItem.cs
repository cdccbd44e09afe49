namespace Spindle.Bench.Workloads;

/// <summary>One item of the mixed workload: which work to do and its input (a number, or a path or URL).</summary>
/// <param name="Kind">cpu, alloc, file, http or wait.</param>
/// <param name="Number">The limit, count or milliseconds for cpu, alloc and wait.</param>
/// <param name="Text">The path or URL for file and http.</param>
public sealed record MixItem(string Kind, int Number, string Text);
