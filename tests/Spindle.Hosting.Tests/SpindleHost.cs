using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Spindle.Hosting.Tests;

/// <summary>Builds a real generic host with Spindle in it, its configuration in memory and its logs collected.</summary>
internal static class SpindleHost
{
    public static IHost Build(Action<IServiceCollection> services, Dictionary<string, string?>? configuration = null, LogCollector? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(configuration ?? []);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
            builder.Logging.SetMinimumLevel(LogLevel.Debug);
        }

        services(builder.Services);
        return builder.Build();
    }
}
