using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Spindle;
using Spindle.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Spindle executors in a host.</summary>
public static class SpindleServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default <see cref="Executor"/> (a singleton, created when the host starts and drained when it
    /// stops), set by <paramref name="configure"/> and then by the "Spindle" configuration section, which wins.
    /// </summary>
    public static SpindleBuilder AddSpindle(this IServiceCollection services, Action<SpindleExecutorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var registrations = services.FirstOrDefault(static d => d.ServiceType == typeof(SpindleRegistrations))?.ImplementationInstance as SpindleRegistrations;
        if (registrations is not null)
        {
            throw new InvalidOperationException("AddSpindle was called twice; call it once and add named executors with AddExecutor on the builder it returns.");
        }

        registrations = new SpindleRegistrations();
        services.AddSingleton(registrations);
        services.AddOptions();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SpindleExecutorOptions>, SpindleExecutorOptionsValidator>());
        services.AddSingleton<SpindleExecutorRegistry>();
        services.AddHostedService<SpindleHostedService>();
        SpindleBuilder.Register(services, registrations, Options.Options.DefaultName, configure);
        services.AddSingleton<Executor>(static sp => sp.GetRequiredService<SpindleExecutorRegistry>().Get(Options.Options.DefaultName));
        return new SpindleBuilder(services, registrations);
    }
}
