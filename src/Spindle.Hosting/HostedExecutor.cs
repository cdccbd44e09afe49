namespace Spindle.Hosting;

/// <summary>One executor the host owns: its name in DI, its settings, and its worker counts for the health check.</summary>
internal sealed record HostedExecutor(string Key, Executor Executor, SpindleExecutorOptions Options, WorkerCounts? Workers);
