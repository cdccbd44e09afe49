using BenchmarkDotNet.Running;
using Spindle.Benchmarks;

// Two kinds of benchmark live here, each found by reflection so that a new one needs only its own file:
//   dotnet run -c Release -- --filter '*SubmitOverhead*'      BenchmarkDotNet classes (any [Benchmark] method)
//   dotnet run -c Release -- harness <name> [--out file.json]  Stopwatch harnesses (IHarness) for work that runs
//                                                              for seconds, where interleaved repeats beat BDN's pilot.
if (args is ["startup-probe"])
{
    return Spindle.Benchmarks.Processes.WorkerStartupHarness.Probe();
}

if (args is ["harness", ..])
{
    return await HarnessRunner.RunAsync(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(HarnessRunner).Assembly).Run(args);
return 0;
