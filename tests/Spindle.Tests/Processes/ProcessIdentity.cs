namespace Spindle.Tests.Processes;

/// <summary>A process as the kernel tells it apart from a later one that reuses its pid.</summary>
internal readonly record struct ProcessIdentity(int Pid, long StartTime);
