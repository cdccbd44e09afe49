using Spindle.Tests;

namespace Spindle.Orleans.Tests;

/// <summary>A silo whose technique is Auto chooses per task, as Executor.Auto does locally.</summary>
public sealed class AutoSiloTests : IAsyncLifetime
{
    private readonly ClusterFixture _fixture = new() { InitialSilos = 1, SiloTechnique = Technique.Auto };

    public Task InitializeAsync() => _fixture.InitializeAsync();

    public Task DisposeAsync() => _fixture.DisposeAsync();

    [Fact(Timeout = TestWait.Hard)]
    public async Task DeclaredKind_ChoosesTheTechniqueOnTheSilo()
    {
        await using var executor = await _fixture.ConnectAsync();

        // CPU-bound work runs on the silo's threads (this process, in the in-process cluster); isolated work in one of
        // the silo's worker processes.
        Assert.Equal(Environment.ProcessId, await executor.Submit(ClusterWork.ProcessId, 0, new TaskOptions { Kind = WorkKind.CpuBound }));
        Assert.NotEqual(Environment.ProcessId, await executor.Submit(ClusterWork.ProcessId, 0, new TaskOptions { Kind = WorkKind.Isolated }));
    }
}
