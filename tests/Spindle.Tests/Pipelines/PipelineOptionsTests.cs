using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

public sealed class PipelineOptionsTests
{
    [Fact]
    public void Then_InvalidStageOptions_ReportsEveryProblemAtOnce()
    {
        var error = Assert.Throws<SpindleOptionsException>(() => Pipeline.From([1]).Then("parse", PipelineWork.Twice,
            new StageOptions { Parallelism = 0, BufferCapacity = -1, Errors = StageErrorPolicy.Retry(-2) }));

        Assert.Equal(
            [
                "Parallelism must be greater than 0 (was 0); use null for one item per core.",
                "BufferCapacity must be greater than 0 (was -1); use null for the pipeline's default.",
                "Errors.Retries must be 0 or more (was -2).",
            ],
            error.Problems);
        Assert.StartsWith("The options of stage 'parse' have 3 problems: Parallelism must", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Then_NameAlreadyTaken_IsRefused()
    {
        var pipeline = Pipeline.From([1], new PipelineOptions { Name = "p" }).Then("double", PipelineWork.Twice);

        var error = Assert.Throws<SpindleOptionsException>(() => pipeline.Then("double", PipelineWork.Square));

        Assert.Equal("The name 'double' is already taken in pipeline 'p' (stages: source, double, sink); give each stage its own name.", Assert.Single(error.Problems));
    }

    [Fact]
    public void Then_IsolatedWorkOnThreads_IsRefusedUpFront()
    {
        var error = Assert.Throws<SpindleOptionsException>(() =>
            Pipeline.From([1]).Then("risky", PipelineWork.Twice, new StageOptions { Kind = WorkKind.Isolated }));

        Assert.Contains("Kind Isolated needs a worker process", Assert.Single(error.Problems), StringComparison.Ordinal);
    }

    [Fact]
    public void From_InvalidPipelineOptions_ReportsEveryProblemAtOnce()
    {
        var error = Assert.Throws<SpindleOptionsException>(() =>
            Pipeline.From([1], new PipelineOptions { Name = " ", BufferCapacity = 0, ProgressInterval = TimeSpan.Zero }));

        Assert.Equal(3, error.Problems.Count);
        Assert.Contains("BufferCapacity must be greater than 0 (was 0).", error.Problems);
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Then_ShutDownExecutor_IsRefusedUpFront()
    {
        var executor = Executor.Threads(new ThreadExecutorOptions { Name = "gone", CpuThreads = 1 });
        await executor.ShutdownAsync();

        var error = Assert.Throws<SpindleOptionsException>(() =>
            Pipeline.From([1]).Then("double", PipelineWork.Twice, new StageOptions { On = executor }));

        Assert.Equal("On is the executor 'gone', which has been shut down; pass a live executor.", Assert.Single(error.Problems));
    }

    [Fact]
    public void Then_Stages_AreListedInOrderAndEachThenIsANewPipeline()
    {
        var first = Pipeline.From([1]).Then("a", PipelineWork.Twice);
        var second = first.Then("b", PipelineWork.Square);

        Assert.Equal(["a"], first.Stages);
        Assert.Equal(["a", "b"], second.Stages);
    }
}
