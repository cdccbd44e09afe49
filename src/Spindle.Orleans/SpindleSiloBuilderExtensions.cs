using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Spindle.Hosting;

namespace Spindle.Orleans;

/// <summary>Makes an Orleans silo serve Spindle work.</summary>
public static class SpindleSiloBuilderExtensions
{
    /// <summary>
    /// Serves Spindle work on this silo: registers the per-silo grain that runs work by reference, and, unless the
    /// host already called AddSpindle, the default hosted executor (set by <paramref name="configureExecutor"/>).
    /// </summary>
    public static ISiloBuilder AddSpindle(this ISiloBuilder builder, Action<SpindleSiloOptions>? configure = null, Action<SpindleExecutorOptions>? configureExecutor = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (!services.Any(static d => d.ServiceType == typeof(Executor) && !d.IsKeyedService))
        {
            services.AddSpindle(configureExecutor);
        }

        var options = services.AddOptions<SpindleSiloOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(
            static o => o.Technique != Technique.Auto || o.ExecutorName is null,
            "SpindleSiloOptions.ExecutorName names a hosted executor, but Technique is Auto, which the silo creates itself; set one or the other.");
        services.AddSingleton<SiloRunner>();
        builder.AddPlacementDirector<SiloTargetedPlacement, SiloTargetedPlacementDirector>();
        return builder;
    }
}
