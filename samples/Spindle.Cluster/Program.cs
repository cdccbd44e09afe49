using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Spindle;
using Spindle.Cluster;
using Spindle.Orleans;

// The same app is the silo on every machine and the client: work crosses by reference (a static method of this
// assembly), so every silo must run this very build.
//
//   dotnet run -- silo --count 3                         three silos on this machine (ports 11111.., gateways 30000..)
//   dotnet run -- silo --port 11112 --gateway 30001 --primary 10.0.0.5:11111   one more silo (localhost clustering)
//   dotnet run -- silo --redis 10.0.0.9:6379 --address 10.0.0.6                  one silo of a multi-machine cluster
//   dotnet run -- client --count 3 --items 10000                                 map over the cluster
return args switch
{
    ["silo", .. var rest] => await SpindleSilo.RunAsync(rest),
    ["client", .. var rest] => await Client.RunAsync(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Spindle.Cluster silo [--count N] [--port P] [--gateway G] [--primary host:port] [--redis host:port] [--technique Threads|Processes|Auto]");
    Console.Error.WriteLine("       Spindle.Cluster client [--count N] [--gateway G] [--redis host:port] [--items N] [--retries N] [--hold ms] [--silos N]");
    return 2;
}

/// <summary>The client: maps <see cref="Work.Square"/> over the cluster and prints the sum and where the work ran.</summary>
internal static class Client
{
    public static async Task<int> RunAsync(string[] args)
    {
        var items = 10_000;
        var retries = 0;
        var hold = 0;
        var silos = 1;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--items" when i + 1 < args.Length: items = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--retries" when i + 1 < args.Length: retries = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--silos" when i + 1 < args.Length: silos = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                case "--hold" when i + 1 < args.Length: hold = int.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture); break;
                default: rest.Add(args[i]); break;
            }
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseSpindleClient(SpindleClusterOptions.Parse(rest));
        using var host = builder.Build();
        await host.StartAsync();

        // Wait (a minute at most) for the silos asked for to join, so that the map runs on all of them.
        var client = host.Services.GetRequiredService<IClusterClient>();
        var joined = 0;
        for (var wait = Stopwatch.StartNew(); wait.Elapsed < TimeSpan.FromMinutes(1); await Task.Delay(200))
        {
            joined = (await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count;
            if (joined >= silos)
            {
                break;
            }
        }

        await using var executor = Executor.Cluster(host.Services.GetRequiredService<IClusterClient>(), new ClusterExecutorOptions { Retries = retries });
        var clock = Stopwatch.StartNew();
        long sum = 0;
        var seen = new HashSet<int>();
        await foreach (var (input, result) in executor.MapUnordered(Work.Square, Enumerable.Range(0, items).Select(i => (i, hold))))
        {
            if (!seen.Add(input.Item1))
            {
                Console.WriteLine($"duplicate {input.Item1}");
            }

            sum += result;
        }

        Console.WriteLine($"silos={joined} items={seen.Count} sum={sum} seconds={clock.Elapsed.TotalSeconds:0.000}");
        await host.StopAsync();
        return 0;
    }
}
