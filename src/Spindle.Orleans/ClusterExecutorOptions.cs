using Spindle.Internal;

namespace Spindle.Orleans;

/// <summary>Settings of an executor that runs tasks on the silos of an Orleans cluster.</summary>
public sealed record ClusterExecutorOptions
{
    /// <summary>The executor's name, used in metrics and errors.</summary>
    public string Name { get; init; } = "cluster";

    /// <summary>How many tasks this client keeps on one silo at once (backpressure: the rest wait here, still cancellable).</summary>
    public int MaxInFlightPerSilo { get; init; } = 256;

    /// <summary>How many tasks this client keeps on the whole cluster at once; null for no bound beyond the per-silo one.</summary>
    public int? MaxInFlight { get; init; }

    /// <summary>The most tasks of one function sent to a silo in one message (Map and bursts of Submit are batched).</summary>
    public int MaxBatchSize { get; init; } = 128;

    /// <summary>
    /// How many times a task whose silo left or died while it ran is run again on another silo; 0 (the default) fails
    /// it with a <see cref="SiloLostException"/> naming the silo. Only for work that may safely run twice.
    /// </summary>
    public int Retries { get; init; }

    /// <summary>How often the cluster's membership is read, to find joining silos and to fail or retry the work of lost ones.</summary>
    public TimeSpan MembershipPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    internal void Validate()
    {
        var problems = new ProblemList();
        if (string.IsNullOrWhiteSpace(Name))
        {
            problems.Add("Name must not be empty.");
        }

        if (MaxInFlightPerSilo < 1)
        {
            problems.Add($"MaxInFlightPerSilo must be greater than 0 (was {MaxInFlightPerSilo}).");
        }

        if (MaxInFlight is < 1)
        {
            problems.Add($"MaxInFlight must be greater than 0 (was {MaxInFlight}); use null for no bound.");
        }

        if (MaxBatchSize < 1)
        {
            problems.Add($"MaxBatchSize must be greater than 0 (was {MaxBatchSize}).");
        }

        if (Retries < 0)
        {
            problems.Add($"Retries must be 0 or more (was {Retries}).");
        }

        if (MembershipPollInterval <= TimeSpan.Zero)
        {
            problems.Add($"MembershipPollInterval must be greater than zero (was {MembershipPollInterval}).");
        }

        problems.ThrowIfAny(nameof(ClusterExecutorOptions));
    }
}
