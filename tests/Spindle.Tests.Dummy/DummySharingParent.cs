using Spindle;
using Spindle.Sharing;

namespace Spindle.Tests.Dummy;

/// <summary>
/// A parent that shares memory with its workers: it makes an array, a queue and a lock, has a worker make an array
/// too, reports its segment directory ("root: …", "segments: N"), then waits to be killed ("ready") or exits ("exit").
/// </summary>
internal static class DummySharingParent
{
    public static async Task<int> RunAsync(string[] args)
    {
        var executor = Executor.Processes(new ProcessExecutorOptions { MaxWorkers = 2, Output = static _ => { } });
        var array = SharedArray<double>.Create(1000);
        var queue = SharedQueue<int>.Create(16);
        var sharedLock = SharedLock.Create();
        var fromWorker = await executor.Submit(DummySharingWork.Make, 1000);
        var sum = await executor.Submit(DummySharingWork.Fill, array);
        Console.WriteLine($"root: {array.Segment.Root.Path}");
        Console.WriteLine($"segments: {Directory.GetFiles(array.Segment.Root.Path).Length}");
        Console.WriteLine($"sum: {sum + fromWorker.Length + queue.Capacity + (sharedLock.IsHeld ? 1 : 0)}");
        Console.WriteLine("ready");
        if (args.FirstOrDefault() == "exit")
        {
            // Leaves without disposing anything: the janitor still removes the directory.
            return 0;
        }

        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}

/// <summary>Work the sharing parent's workers run.</summary>
internal static class DummySharingWork
{
    public static SharedArray<int> Make(int length) => SharedArray<int>.Create(length);

    public static double Fill(SharedArray<double> array)
    {
        array.Span.Fill(1);
        return array.Length;
    }
}
