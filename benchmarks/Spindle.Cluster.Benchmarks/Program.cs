using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Spindle;
using Spindle.Cluster.Benchmarks;
using Spindle.Orleans;

// The cluster benchmark's app: the same binary is each silo (work crosses by reference) and the client that measures.
//   silo  <SpindleSilo flags>
//   bench <row> --gateways 30000,30001 [--silos N] [--start-ms epoch-ms] [--kill-pid pid]    prints "row value"
return args switch
{
    ["silo", .. var rest] => await SpindleSilo.RunAsync(rest),
    ["bench", var row, .. var rest] => await Bench.RunAsync(row, rest),
    _ => 2,
};

namespace Spindle.Cluster.Benchmarks
{
    /// <summary>The benchmark's work: static, so that silos find it by reference.</summary>
    public static class BenchWork
    {
        public static int Trivial(int x) => x + 1;

        /// <summary>About <paramref name="iterations"/> rounds of integer mixing: CPU-bound, allocation-free.</summary>
        public static long Spin(int iterations)
        {
            var x = (ulong)iterations;
            for (var i = 0; i < iterations; i++)
            {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
            }

            return (long)(x & 0xFFFF);
        }

        public static int Hold(int milliseconds)
        {
            Thread.Sleep(milliseconds);
            return milliseconds;
        }
    }

    internal static class Bench
    {
        public static async Task<int> RunAsync(string row, string[] args)
        {
            var gateways = Flag(args, "--gateways")!.Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
            var silos = int.Parse(Flag(args, "--silos") ?? "1", CultureInfo.InvariantCulture);
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Error);
            builder.UseOrleansClient(c => c.UseLocalhostClustering(gateways, "spindle", "spindle"));
            using var host = builder.Build();

            // Starts the client once every gateway port listens (about 0.6 s after a silo starts; the silo serves the
            // connection once it is active), as Dask's Client(cluster) comes after LocalCluster has its workers.
            // Started earlier, Orleans' client waits its ConnectionOptions.ConnectionRetryDelay (1 s) after a refused
            // gateway, and one that finds one gateway of two may ask the other for the cluster manifest through the
            // first and wait out the 30 s response timeout (seen here: a 36 s first result).
            await GatewaysListen(gateways, TimeSpan.FromSeconds(60));
            for (var attempt = Stopwatch.StartNew(); ; await Task.Delay(100))
            {
                try
                {
                    await host.StartAsync();
                    break;
                }
                catch (Exception) when (attempt.Elapsed < TimeSpan.FromSeconds(60))
                {
                }
            }

            var client = host.Services.GetRequiredService<IClusterClient>();
            while ((await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true)).Count < silos)
            {
                await Task.Delay(50);
            }

            var options = new ClusterExecutorOptions { MembershipPollInterval = TimeSpan.FromMilliseconds(100), Retries = row == "kill" ? 1 : 0, MaxInFlightPerSilo = row == "kill" ? 1 : 256 };
            await using var executor = Executor.Cluster(client, options);
            var value = row switch
            {
                "map" => await MapRate(executor, 200_000),
                "submit" => await SubmitRate(executor, 20_000),
                "cpu" => await CpuSeconds(executor, silos),
                "first" => await FirstResult(executor, long.Parse(Flag(args, "--start-ms")!, CultureInfo.InvariantCulture)),
                "kill" => await KillToServed(executor, int.Parse(Flag(args, "--kill-pid")!, CultureInfo.InvariantCulture)),
                _ => throw new ArgumentException($"unknown row {row}"),
            };
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{row} {value:0.000}"));
            await host.StopAsync();
            return 0;
        }

        private static async Task GatewaysListen(int[] ports, TimeSpan limit)
        {
            for (var clock = Stopwatch.StartNew(); clock.Elapsed < limit; await Task.Delay(25))
            {
                var listening = 0;
                foreach (var port in ports)
                {
                    using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    try
                    {
                        await socket.ConnectAsync(IPAddress.Loopback, port);
                        listening++;
                    }
                    catch (SocketException)
                    {
                        break;
                    }
                }

                if (listening == ports.Length)
                {
                    return;
                }
            }
        }

        private static string? Flag(string[] args, string name)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        private static async Task<double> MapRate(Executor executor, int items)
        {
            await Drain(executor.Map(BenchWork.Trivial, Enumerable.Range(0, 20_000)));
            var clock = Stopwatch.StartNew();
            await Drain(executor.Map(BenchWork.Trivial, Enumerable.Range(0, items)));
            return items / clock.Elapsed.TotalSeconds;
        }

        private static async Task<double> SubmitRate(Executor executor, int items)
        {
            await Task.WhenAll(Enumerable.Range(0, 2_000).Select(i => executor.Submit(BenchWork.Trivial, i)));
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, items).Select(i => executor.Submit(BenchWork.Trivial, i)));
            return items / clock.Elapsed.TotalSeconds;
        }

        /// <summary>16 CPU tasks of about 200 ms each, after a round that brings every silo's code to its final tier.</summary>
        private static async Task<double> CpuSeconds(Executor executor, int silos)
        {
            await Drain(executor.Map(BenchWork.Spin, Enumerable.Repeat(20_000_000, 4 * silos), new MapOptions { BatchSize = 1 }));
            var clock = Stopwatch.StartNew();
            await Drain(executor.Map(BenchWork.Spin, Enumerable.Repeat(100_000_000, 16), new MapOptions { BatchSize = 1 }));
            return clock.Elapsed.TotalSeconds;
        }

        private static async Task<double> FirstResult(Executor executor, long startMs)
        {
            await executor.Submit(BenchWork.Trivial, 1);
            return (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - startMs) / 1000.0;
        }

        /// <summary>Two tasks of 2 s, one per silo; SIGKILL one silo 0.5 s in: the seconds its task took beyond its own 2 s.</summary>
        private static async Task<double> KillToServed(Executor executor, int pid)
        {
            var tasks = new[] { executor.Submit(BenchWork.Hold, 2_000), executor.Submit(BenchWork.Hold, 2_000) };
            while (executor.Progress.Running < 2)
            {
                await Task.Delay(10);
            }

            await Task.Delay(500);
            using (var victim = Process.GetProcessById(pid))
            {
                victim.Kill();
            }

            var killed = Stopwatch.StartNew();
            await Task.WhenAll(tasks);
            return killed.Elapsed.TotalSeconds - 2.0;
        }

        private static async Task Drain<T>(IAsyncEnumerable<T> results)
        {
            await foreach (var _ in results)
            {
            }
        }
    }
}
