using Microsoft.Extensions.Options;

namespace Spindle.Hosting;

/// <summary>
/// Checks every setting of an executor and reports all problems at once, each naming its configuration key, its value
/// and the fix, so that one failed start tells an operator everything to correct.
/// </summary>
internal sealed class SpindleExecutorOptionsValidator : IValidateOptions<SpindleExecutorOptions>
{
    public ValidateOptionsResult Validate(string? name, SpindleExecutorOptions options)
    {
        var path = SpindleExecutorOptions.PathOf(name ?? "");
        List<string> problems = [];
        if (options.Technique is not (Technique.Threads or Technique.Processes))
        {
            problems.Add($"{path}:Technique must be Threads or Processes (was {options.Technique}); hosting does not create Auto executors.");
        }

        if (options.Workers is <= 0)
        {
            problems.Add($"{path}:Workers must be greater than 0 (was {options.Workers}); leave it out for the number of cores ({Environment.ProcessorCount}).");
        }

        if (options.IoConcurrency is <= 0)
        {
            problems.Add($"{path}:IoConcurrency must be greater than 0 (was {options.IoConcurrency}); leave it out for 256.");
        }

        if (!Enum.IsDefined(options.Start))
        {
            problems.Add($"{path}:Start must be Eager or Lazy (was {options.Start}).");
        }

        if (options.MaxTasksPerWorker is <= 0)
        {
            problems.Add($"{path}:MaxTasksPerWorker must be greater than 0 (was {options.MaxTasksPerWorker}); leave it out for no limit.");
        }

        if (options.MemoryLimitMegabytes is <= 0)
        {
            problems.Add($"{path}:MemoryLimitMegabytes must be greater than 0 (was {options.MemoryLimitMegabytes}); leave it out for no limit.");
        }

        if (options.IdleTimeout is { } idle && idle <= TimeSpan.Zero)
        {
            problems.Add($"{path}:IdleTimeout must be greater than zero (was {idle}); leave it out to keep idle workers.");
        }

        if (options.StartTimeout is { } start && start <= TimeSpan.Zero)
        {
            problems.Add($"{path}:StartTimeout must be greater than zero (was {start}); leave it out for 30 seconds.");
        }

        if (options.CancelGracePeriod is { } grace && grace < TimeSpan.Zero)
        {
            problems.Add($"{path}:CancelGracePeriod must not be negative (was {grace}); leave it out for 2 seconds.");
        }

        if (options.WorkerNice is < 0 or > 19)
        {
            problems.Add($"{path}:WorkerNice must be between 0 and 19 (was {options.WorkerNice}); 0 runs workers at the host's priority, 19 at the lowest.");
        }

        if (options.Technique == Technique.Threads)
        {
            // Settings of worker processes on a thread executor would be silently ignored: say so instead.
            var processOnly = new List<string>();
            if (options.MaxTasksPerWorker is not null)
            {
                processOnly.Add("MaxTasksPerWorker");
            }

            if (options.MemoryLimitMegabytes is not null)
            {
                processOnly.Add("MemoryLimitMegabytes");
            }

            if (options.WorkerNice != 0)
            {
                processOnly.Add("WorkerNice");
            }

            if (options.IdleTimeout is not null)
            {
                processOnly.Add("IdleTimeout");
            }

            if (processOnly.Count > 0)
            {
                problems.Add($"{path} sets {string.Join(", ", processOnly)}, which only worker processes have, but its Technique is Threads; set {path}:Technique to Processes or remove them.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
