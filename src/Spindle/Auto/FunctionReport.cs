namespace Spindle;

/// <summary>What Auto measured about one function and where it sends it, with the reason in one sentence.</summary>
/// <param name="Function">The function, as Type.Method.</param>
/// <param name="Calls">Calls so far.</param>
/// <param name="Measured">Calls that were measured.</param>
/// <param name="CpuShare">CPU time over wall time of the measured calls (0 = all waiting, 1 = all computing).</param>
/// <param name="AllocationRate">Bytes allocated per second of CPU time in the measured calls.</param>
/// <param name="Lane">The lane it runs on now.</param>
/// <param name="Reason">Why, in one sentence.</param>
/// <param name="Reroutes">How many times it moved lanes after its first classification.</param>
public sealed record FunctionReport(string Function, long Calls, long Measured, double CpuShare, double AllocationRate, Lane Lane, string Reason, int Reroutes);
