using Orleans.Concurrency;

namespace Spindle.Orleans;

/// <summary>
/// The Spindle grain of one silo, keyed by that silo's address: it runs batches of work by reference on the silo's
/// executor and cancels runs on request.
/// </summary>
internal interface ISpindleSiloGrain : IGrainWithStringKey
{
    /// <summary>Runs every run of the request; the reply holds one <c>ReplyMessage</c> frame per run, in their order.</summary>
    // A task may run for hours; Orleans' default of 30 s would fail it (a lost silo is found by membership instead).
    // Seven days, not more: a timeout past 2^31 ms (24.8 days) makes the call never complete at all.
    [ResponseTimeout("7.00:00:00")]
    Task<byte[]> Run(SiloRequest request);

    /// <summary>Cancels the tokens of the given runs of a client, wherever they are (queued or running on the executor).</summary>
    // Interleaves with everything: a cancel must never wait behind the runs it cancels.
    [AlwaysInterleave]
    Task Cancel(Guid client, long[] taskIds);

    /// <summary>The replies of those runs still in progress on this silo, once they end (runs it does not know are left out).</summary>
    [AlwaysInterleave]
    [ResponseTimeout("7.00:00:00")]
    Task<byte[]> Recover(Guid client, long[] taskIds);

    /// <summary>Answers at once: the client checks a silo it could not reach before sending it work again.</summary>
    [AlwaysInterleave]
    Task<string> Ping();
}
