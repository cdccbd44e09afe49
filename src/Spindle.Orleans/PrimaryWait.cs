using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Orleans;
using Orleans.Runtime;

namespace Spindle.Orleans;

/// <summary>
/// Localhost clustering, a silo that is not the primary: holds the silo's start, just before membership's first read
/// of the table the primary keeps, until the primary's silo port accepts connections (at most <see cref="Limit"/>).
/// Orleans answers a refused first read with a random back-off of 1 to 3 s (constants in its MembershipTableManager,
/// no option sets them), and silos started together, as <c>--count</c> does, often ask before the primary listens:
/// measured on localhost, such a silo became active 2.5 s after start instead of 0.9 s. Waiting here makes the first
/// read succeed, so the silo joins as soon as the primary is up.
/// </summary>
internal sealed class PrimaryWait(IPEndPoint primary) : ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>How long the silo waits before it tries anyway (Orleans then retries as without this wait).</summary>
    internal static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(25);

    public void Participate(ISiloLifecycle lifecycle) =>
        // Membership starts at RuntimeGrainServices; the stages before it (this silo's own listeners and runtime) do
        // not need the primary, so they still start at once.
        lifecycle.Subscribe(nameof(PrimaryWait), ServiceLifecycleStage.RuntimeGrainServices - 1, WaitAsync);

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        for (var clock = Stopwatch.StartNew(); clock.Elapsed < Limit && !await AcceptsAsync(primary, cancellationToken).ConfigureAwait(false);)
        {
            await Task.Delay(Pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<bool> AcceptsAsync(IPEndPoint endpoint, CancellationToken cancellationToken)
    {
        using var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await socket.ConnectAsync(endpoint, attempt.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
