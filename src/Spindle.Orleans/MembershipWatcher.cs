using Orleans.Runtime;

namespace Spindle.Orleans;

/// <summary>
/// Reads the cluster's membership every poll interval and hands each reading to its executor, which opens a lane for a
/// silo that joined, drains one that is leaving and fails over one that was lost. A reading that cannot be taken (a
/// gateway is down) is skipped; the next round tries again. It stops when <paramref name="stop"/> fires.
/// </summary>
internal sealed class MembershipWatcher(IClusterClient client, TimeSpan pollInterval, Func<SiloMembership, Task> apply, CancellationToken stop)
{
    public async Task WatchAsync()
    {
        var management = client.GetGrain<IManagementGrain>(0);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var hosts = await management.GetHosts(onlyActive: false).WaitAsync(stop).ConfigureAwait(false);
                await apply(new SiloMembership(hosts)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Membership cannot be read right now (a gateway is down); the next round tries again.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            try
            {
                await Task.Delay(pollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
