namespace Spindle.Orleans;

/// <summary>
/// Client to silo: one function by reference and a batch of runs of it, as the process protocol's frames (a
/// <c>DefineMessage</c> and back-to-back <c>RunMessage</c>s), with the options the silo's executor applies to each run.
/// </summary>
/// <remarks>
/// Orleans carries the frames as bytes: the messages keep the one layout they have on the Unix socket, and Orleans
/// only adds its own envelope around them. Timeout and kind travel beside the frames because the process lane
/// applies them in the parent, while on a cluster the silo's executor applies them.
/// </remarks>
[GenerateSerializer]
[Immutable]
internal sealed record SiloRequest(
    [property: Id(0)] Guid Client,
    [property: Id(1)] byte[] Define,
    [property: Id(2)] byte[] Runs,
    [property: Id(3)] TimeSpan? Timeout,
    [property: Id(4)] WorkKind? Kind);
