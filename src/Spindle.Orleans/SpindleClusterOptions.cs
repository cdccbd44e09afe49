using System.Globalization;
using System.Net;
using Spindle.Internal;

namespace Spindle.Orleans;

/// <summary>
/// How a silo or a client of this app finds its cluster: Orleans' localhost (development) clustering by default, or
/// Redis membership for several machines; and, for silos, their ports and how they run work.
/// </summary>
public sealed record SpindleClusterOptions
{
    /// <summary>The cluster's id: silos and clients with the same id and membership form one cluster.</summary>
    public string ClusterId { get; init; } = "spindle";

    /// <summary>A Redis connection string ("host:port"): membership in Redis, so silos on several machines find each other.</summary>
    public string? Redis { get; init; }

    /// <summary>The address this silo advertises to the others (with Redis membership, one the other machines can reach).</summary>
    public IPAddress Address { get; init; } = IPAddress.Loopback;

    /// <summary>The silo-to-silo port of the first silo this command starts (the next ones take the ports after it).</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary>The client gateway port of the first silo this command starts (the next ones take the ports after it).</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary>Localhost clustering only: the primary silo's endpoint, which holds membership; null when this silo is the primary.</summary>
    public IPEndPoint? Primary { get; init; }

    /// <summary>How many silos the command starts on this machine, each its own process (or, for a client, how many gateways to try).</summary>
    public int Count { get; init; } = 1;

    /// <summary>How each silo runs its tasks: Threads, Processes (isolated worker processes) or Auto (per task).</summary>
    public Technique Technique { get; init; } = Technique.Threads;

    /// <summary>The CPU workers (threads or processes) of each silo; null for the number of cores.</summary>
    public int? Workers { get; init; }

    /// <summary>How long a silo waits for a probe's answer before suspecting a peer; null for Orleans' default (seconds).
    /// Shorter finds a killed silo sooner, at the price of false suspicions on a loaded machine.</summary>
    public TimeSpan? ProbeTimeout { get; init; }

    /// <summary>Internal: the process that started this silo with <see cref="Count"/>; the silo stops when it is gone.</summary>
    public int? ParentProcessId { get; init; }

    /// <summary>
    /// Reads options from command-line flags: <c>--port</c>, <c>--gateway</c>, <c>--primary host:port</c>, <c>--count</c>,
    /// <c>--redis host:port</c>, <c>--address</c>, <c>--cluster-id</c>, <c>--technique</c>, <c>--workers</c>,
    /// <c>--probe-timeout ms</c>. Every problem is reported in one <see cref="SpindleOptionsException"/>.
    /// </summary>
    public static SpindleClusterOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var options = new SpindleClusterOptions();
        var problems = new ProblemList();
        for (var i = 0; i < args.Count; i++)
        {
            var flag = args[i];
            if (i + 1 >= args.Count || !flag.StartsWith("--", StringComparison.Ordinal))
            {
                problems.Add(flag.StartsWith("--", StringComparison.Ordinal) ? $"{flag} needs a value." : $"'{flag}' is not a flag; flags are --port, --gateway, --primary, --count, --redis, --address, --cluster-id, --technique, --workers, --probe-timeout.");
                continue;
            }

            var value = args[++i];
            options = flag switch
            {
                "--port" => options with { SiloPort = Port(value, flag, problems) },
                "--gateway" => options with { GatewayPort = Port(value, flag, problems) },
                "--primary" => options with { Primary = Endpoint(value, problems) },
                "--count" => options with { Count = Number(value, flag, problems) },
                "--redis" => options with { Redis = value },
                "--address" => options with { Address = IPAddress.TryParse(value, out var a) ? a : Problem(problems, $"--address must be an IP address (was '{value}').", IPAddress.Loopback) },
                "--cluster-id" => options with { ClusterId = value },
                "--technique" => options with { Technique = Enum.TryParse<Technique>(value, ignoreCase: true, out var t) ? t : Problem(problems, $"--technique must be Threads, Processes or Auto (was '{value}').", Technique.Threads) },
                "--workers" => options with { Workers = Number(value, flag, problems) },
                "--probe-timeout" => options with { ProbeTimeout = TimeSpan.FromMilliseconds(Number(value, flag, problems)) },
                "--parent-pid" => options with { ParentProcessId = Number(value, flag, problems) },
                _ => Problem(problems, $"Unknown flag {flag}; flags are --port, --gateway, --primary, --count, --redis, --address, --cluster-id, --technique, --workers, --probe-timeout.", options),
            };
        }

        problems.ThrowIfAny("The cluster options");
        return options;
    }

    /// <summary>The gateways a client tries with localhost clustering: one per silo the silo command started.</summary>
    internal int[] Gateways => [.. Enumerable.Range(GatewayPort, Count)];

    private static int Port(string value, string flag, ProblemList problems) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536
            ? port
            : Problem(problems, $"{flag} must be a port between 1 and 65535 (was '{value}').", 0);

    private static int Number(string value, string flag, ProblemList problems) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : Problem(problems, $"{flag} must be a number greater than 0 (was '{value}').", 1);

    private static IPEndPoint? Endpoint(string value, ProblemList problems)
    {
        if (IPEndPoint.TryParse(value, out var endpoint) && endpoint.Port > 0)
        {
            return endpoint;
        }

        var colon = value.LastIndexOf(':');
        if (colon > 0 && int.TryParse(value[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and < 65536)
        {
            var host = value[..colon];
            var address = host == "localhost" ? IPAddress.Loopback : Dns.GetHostAddresses(host).FirstOrDefault(static a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
            if (address is not null)
            {
                return new IPEndPoint(address, port);
            }
        }

        return Problem<IPEndPoint?>(problems, $"--primary must be host:port, the primary silo's silo port (was '{value}').", null);
    }

    private static T Problem<T>(ProblemList problems, string problem, T fallback)
    {
        problems.Add(problem);
        return fallback;
    }
}
