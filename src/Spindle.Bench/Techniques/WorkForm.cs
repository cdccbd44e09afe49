namespace Spindle.Bench.Techniques;

/// <summary>Which of a workload's two shapes a technique runs.</summary>
internal enum WorkForm
{
    /// <summary>The shape ordinary code would use: async for waiting work, blocking for CPU work.</summary>
    Natural,

    /// <summary>The blocking static method.</summary>
    Sync,

    /// <summary>The async static method.</summary>
    Async,
}
