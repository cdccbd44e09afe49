using System.Globalization;
using Spindle;
using Spindle.Pipelines;
using Spindle.Pipelines.Sample;

// A log-processing pipeline: read many files (I/O lane) → parse and aggregate each on the CPU (CPU lane)
// → write a JSON summary per file (I/O lane) → total them up here. It generates its own input first.
var root = Path.Combine(Path.GetTempPath(), "spindle-pipeline-sample");
var paths = LogWork.Generate(Path.Combine(root, "logs"), files: 24, lines: 20_000, corrupt: 7);
Console.WriteLine($"Generated {paths.Length} log files of 20,000 lines in {root}.");

await using var executor = Executor.Threads(new ThreadExecutorOptions { Name = "logs" });
var pipeline = Pipeline.From(paths, new PipelineOptions { Name = "logs", Executor = executor, BufferCapacity = 4, ProgressInterval = TimeSpan.FromMilliseconds(200) })
    .Then("read", LogWork.ReadAsync, new StageOptions { Parallelism = 4 })
    .Then("aggregate", LogWork.Aggregate, new StageOptions { Parallelism = Environment.ProcessorCount, Errors = StageErrorPolicy.Skip }.OnCpu())
    .Then("write", LogWork.WriteAsync, new StageOptions { Parallelism = 4, Errors = StageErrorPolicy.Retry(2) });

// To move the CPU stage to worker processes, give it its own executor: new StageOptions { On = Executor.Processes() }.
await using var run = pipeline.Start();
run.ProgressChanged += (_, p) =>
{
    var stages = string.Join("  ", p.Stages.Select(s => $"{s.Name} {s.ItemsOut}/{s.ItemsIn} busy {s.BusyShare:P0} buffer {s.Buffered}/{s.BufferCapacity}"));
    Console.WriteLine($"  [{p.Elapsed.TotalSeconds:0.0}s] {stages}");
};

long requests = 0, errors = 0;
await foreach (var summary in run)
{
    requests += summary.Requests;
    errors += summary.Errors;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{summary.File}: {summary.Requests,6} requests, {summary.Errors,4} errors, p50 {summary.P50Ms,3} ms, p95 {summary.P95Ms,3} ms, busiest {summary.BusiestPath} ({summary.BusiestCount})"));
}

var result = await run.Completion;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total: {requests:N0} requests, {errors:N0} server errors, in {result.Progress.Elapsed.TotalSeconds:0.00} s."));
foreach (var failure in result.Failures)
{
    Console.WriteLine($"Skipped by '{failure.Stage}': {failure.Exception.Message}");
}

Console.WriteLine("Per stage:");
foreach (var stage in result.Progress.Stages)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  {stage.Name,-10} in {stage.ItemsIn,3}  out {stage.ItemsOut,3}  failed {stage.ItemsFailed}  busy {stage.BusyShare,4:P0}  {stage.Throughput,6:0.0} files/s"));
}

Console.WriteLine($"Bottleneck: {result.Progress.Bottleneck?.Name}.");
Directory.Delete(root, recursive: true);
