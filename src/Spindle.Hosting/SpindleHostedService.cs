using Microsoft.Extensions.Hosting;

namespace Spindle.Hosting;

/// <summary>Ties the executors' lives to the host's: created on start, drained on stop within the host's shutdown timeout.</summary>
internal sealed class SpindleHostedService(SpindleExecutorRegistry registry) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => registry.StartAsync(cancellationToken);

    // Registered before the app's own services and the web server, the host stops it after them: requests in flight
    // finish (and submit their last tasks) before the executors drain.
    public Task StopAsync(CancellationToken cancellationToken) => registry.StopAsync(cancellationToken);
}
