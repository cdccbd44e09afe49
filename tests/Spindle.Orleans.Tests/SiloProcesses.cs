using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Spindle.Orleans.Tests;

/// <summary>
/// A real localhost cluster: silo processes of the sample app (<c>Spindle.Cluster silo</c>, one process each, on free
/// ports), and an Orleans client in this process. Every process is killed when the instance is disposed.
/// </summary>
internal sealed class SiloProcesses : IAsyncDisposable
{
    private readonly List<Process> _silos = [];
    private readonly int _firstSiloPort;
    private readonly int[] _siloPorts;
    private readonly int[] _gatewayPorts;
    private IHost? _client;

    public SiloProcesses(int count)
    {
        _siloPorts = [.. Enumerable.Range(0, count).Select(_ => FreePort())];
        _gatewayPorts = [.. Enumerable.Range(0, count).Select(_ => FreePort())];
        _firstSiloPort = _siloPorts[0];
    }

    public IClusterClient Client => _client!.Services.GetRequiredService<IClusterClient>();

    /// <summary>The silo port of each silo, by index: part of the name Orleans gives the silo (S127.0.0.1:port:generation).</summary>
    public IReadOnlyList<int> SiloPorts => _siloPorts;

    public IReadOnlyList<Process> Processes => _silos;

    public async Task StartAsync()
    {
        var app = Path.Combine(AppContext.BaseDirectory, "Spindle.Cluster.dll");
        for (var i = 0; i < _siloPorts.Length; i++)
        {
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in new[] { app, "silo", "--port", $"{_siloPorts[i]}", "--gateway", $"{_gatewayPorts[i]}", "--workers", "2", "--probe-timeout", "1000" })
            {
                start.ArgumentList.Add(arg);
            }

            if (i > 0)
            {
                start.ArgumentList.Add("--primary");
                start.ArgumentList.Add($"127.0.0.1:{_firstSiloPort}");
            }

            start.ArgumentList.Add("--parent-pid");
            start.ArgumentList.Add($"{Environment.ProcessId}");
            var process = Process.Start(start)!;

            // Drained so that a chatty silo never blocks on a full pipe.
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _silos.Add(process);
        }

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.UseOrleansClient(client => client.UseLocalhostClustering(_gatewayPorts, "spindle", "spindle"));
        _client = builder.Build();

        // The client connects once a gateway answers; silos still starting refuse, so it tries again.
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await _client.StartAsync();
                break;
            }
            catch (Exception) when (clock.Elapsed < TimeSpan.FromSeconds(40))
            {
                _client.Dispose();
                builder = Host.CreateApplicationBuilder();
                builder.Logging.SetMinimumLevel(LogLevel.Warning);
                builder.UseOrleansClient(client => client.UseLocalhostClustering(_gatewayPorts, "spindle", "spindle"));
                _client = builder.Build();
                await Task.Delay(250);
            }
        }
    }

    /// <summary>SIGKILLs a silo: no shutdown, no goodbye to the cluster.</summary>
    public void Kill(int index) => _silos[index].Kill();

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos)
        {
            if (!silo.HasExited)
            {
                silo.Kill(entireProcessTree: true);
            }
        }

        if (_client is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _client.StopAsync(stop.Token);
            }
            catch (OperationCanceledException)
            {
            }

            _client.Dispose();
        }

        foreach (var silo in _silos)
        {
            await silo.WaitForExitAsync();
            silo.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
