using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Spindle.Hosting;

/// <summary>Adds named executors to the one <c>AddSpindle</c> registered; each is a keyed <see cref="Executor"/> service.</summary>
public sealed class SpindleBuilder
{
    private readonly SpindleRegistrations _registrations;

    internal SpindleBuilder(IServiceCollection services, SpindleRegistrations registrations)
    {
        Services = services;
        _registrations = registrations;
    }

    /// <summary>The services the executors are registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Registers an executor resolved as <c>[FromKeyedServices(name)] Executor</c>, set by <paramref name="configure"/>
    /// and then by the configuration section "Spindle:Executors:{name}", which wins.
    /// </summary>
    public SpindleBuilder AddExecutor(string name, Action<SpindleExecutorOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_registrations.Names.Contains(name))
        {
            throw new InvalidOperationException($"A Spindle executor named '{name}' is already registered; give each executor its own name.");
        }

        Register(Services, _registrations, name, configure);
        Services.AddKeyedSingleton<Executor>(name, static (sp, key) => sp.GetRequiredService<SpindleExecutorRegistry>().Get((string)key!));
        return this;
    }

    /// <summary>Declares one executor's options: code first, configuration second (so an operator can override), checked at start.</summary>
    internal static void Register(IServiceCollection services, SpindleRegistrations registrations, string name, Action<SpindleExecutorOptions>? configure)
    {
        registrations.Names.Add(name);
        var options = services.AddOptions<SpindleExecutorOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        // Bound by hand rather than with BindConfiguration, so that a service collection without IConfiguration (a
        // console app's own) still works, with the options from code alone.
        var path = SpindleExecutorOptions.PathOf(name);
        services.AddSingleton<IConfigureOptions<SpindleExecutorOptions>>(sp => new ConfigureNamedOptions<SpindleExecutorOptions>(
            name,
            o => sp.GetService<IConfiguration>()?.GetSection(path).Bind(o)));
        options.ValidateOnStart();
    }
}
