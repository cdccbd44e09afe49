// A small real program for process tests: a parent that owns workers (to be killed or interrupted by a test),
// and a fake worker that speaks the channel badly (to prove the parent survives it).
using System.Globalization;
using Spindle;
using Spindle.Tests.Dummy;

switch (args.FirstOrDefault())
{
    case "parent":
        return await DummyParent.RunAsync(args.Skip(1).ToArray());
    case "shared":
        return await DummySharingParent.RunAsync(args.Skip(1).ToArray());
    case "moved":
        // Started as 'dotnet <relative path to this dll>', then moves away from where that path means anything.
        Directory.SetCurrentDirectory(Path.GetTempPath());
        await using (var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 1 }))
        {
            Console.WriteLine($"result: {await executor.Submit(static (int x) => x * x, 7)}");
        }

        return 0;
    case "crash":
        return await DummyCrashParent.RunAsync();
    case "leak":
        return await DummyLeakParent.RunAsync(args.Skip(1).ToArray());
    case "intruder":
        return Intruder.Run(args.Skip(1).ToArray());
    case "fake-worker":
        return FakeWorker.Run(args[1]);
    case "echo":
        Console.WriteLine(string.Join(' ', args.Skip(1)));
        return 0;
    case "exit":
        return int.Parse(args[1], CultureInfo.InvariantCulture);
    default:
        Console.Error.WriteLine("usage: Spindle.Tests.Dummy parent <workers> <idle|startup|lazy|map|shutdown> | moved | crash | shared [exit] | leak <tasks> <limit MB> <leak KB> | intruder <socket> <worker id> <pid> | fake-worker <mode> | echo <words> | exit <code>");
        return 2;
}
