using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Spindle.Orleans;

/// <summary>Makes a .NET host a Spindle silo or a client of a Spindle cluster, with localhost or Redis membership.</summary>
public static class SpindleClusterHostExtensions
{
    /// <summary>
    /// Runs an Orleans silo in this host that serves Spindle work (the app itself: work crosses by reference), with
    /// the first silo's ports of <paramref name="options"/>; <paramref name="index"/> picks a later silo's ports.
    /// </summary>
    public static IHostApplicationBuilder UseSpindleSilo(this IHostApplicationBuilder builder, SpindleClusterOptions? options = null, int index = 0)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new SpindleClusterOptions();
        var siloPort = options.SiloPort + index;
        var gatewayPort = options.GatewayPort + index;
        builder.UseOrleans(silo =>
        {
            if (options.Redis is { } redis)
            {
                silo.UseRedisClustering(redis);
                silo.ConfigureEndpoints(options.Address, siloPort, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(options.Address));
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ClusterId;
                });
            }
            else
            {
                // Development clustering: the primary silo keeps the membership table; the others point at it.
                var primary = options.Primary ?? (index == 0 ? null : new IPEndPoint(IPAddress.Loopback, options.SiloPort));
                silo.UseLocalhostClustering(siloPort, gatewayPort, primary, options.ClusterId, options.ClusterId);
                // Started with the primary, a later silo would often read the table before the primary listens and
                // pay Orleans' back-off of 1 to 3 s; PrimaryWait holds its membership start until the primary listens.
                if (primary is not null && primary.Port != siloPort)
                {
                    silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(new PrimaryWait(primary));
                }
            }

            if (options.ProbeTimeout is { } probe)
            {
                silo.Configure<ClusterMembershipOptions>(o =>
                {
                    o.ProbeTimeout = probe;
                    o.NumMissedProbesLimit = 2;
                    o.NumVotesForDeathDeclaration = 1;
                    o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                    o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
                });
            }

            silo.AddSpindle(
                o => o.Technique = options.Technique,
                o =>
                {
                    // Hosting creates Threads and Processes executors; for Auto the silo makes its own, so the hosted
                    // default stays Threads.
                    o.Technique = options.Technique == Technique.Processes ? Technique.Processes : Technique.Threads;
                    o.Workers = options.Workers;
                });
        });
        if (options.ParentProcessId is { } parent)
        {
            builder.Services.AddHostedService(sp => new ParentWatch(parent, sp.GetRequiredService<IHostApplicationLifetime>()));
        }

        return builder;
    }

    /// <summary>Connects this host's Orleans client to the Spindle cluster <paramref name="options"/> describes.</summary>
    public static IHostApplicationBuilder UseSpindleClient(this IHostApplicationBuilder builder, SpindleClusterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        options ??= new SpindleClusterOptions();
        builder.UseOrleansClient(client =>
        {
            if (options.Redis is { } redis)
            {
                client.UseRedisClustering(redis);
                client.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = options.ClusterId;
                    o.ServiceId = options.ClusterId;
                });
            }
            else
            {
                client.UseLocalhostClustering(options.Gateways, options.ClusterId, options.ClusterId);
            }
        });
        return builder;
    }
}
