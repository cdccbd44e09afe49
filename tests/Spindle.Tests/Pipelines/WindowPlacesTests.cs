using Spindle.Pipelines;

namespace Spindle.Tests.Pipelines;

/// <summary>The places of an ordered stage's window: taken several at once, waited for one at a time, oldest waiter first.</summary>
public sealed class WindowPlacesTests
{
    [Fact]
    public void TryTake_TakesUpToWhatIsFree_AndReleaseGivesItBack()
    {
        var places = new WindowPlaces(5);
        Assert.Equal(3, places.TryTake(3));
        Assert.Equal(2, places.TryTake(10));
        Assert.Equal(0, places.TryTake(1));

        // Taking as many as possible takes exactly what is free, which is how these tests count the free places.
        places.Release(4);
        Assert.Equal(4, places.TryTake(int.MaxValue));
        Assert.Equal(0, places.TryTake(1));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task Release_ServesWaitersOldestFirst_OnePlaceEach_TheRestStaysFree()
    {
        var places = new WindowPlaces(1);
        Assert.True(places.WaitAsync(CancellationToken.None).IsCompleted);
        var first = places.WaitAsync(CancellationToken.None);
        var second = places.WaitAsync(CancellationToken.None);
        Assert.False(first.IsCompleted);

        places.Release(1);
        await first.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(second.IsCompleted);
        Assert.Equal(0, places.TryTake(int.MaxValue));

        places.Release(3);
        await second.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, places.TryTake(int.MaxValue));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task CancelledWaiter_IsCancelled_AndItsPlaceGoesToTheNext()
    {
        var places = new WindowPlaces(1);
        Assert.Equal(1, places.TryTake(1));
        using var cts = new CancellationTokenSource();
        var cancelled = places.WaitAsync(cts.Token);
        var next = places.WaitAsync(CancellationToken.None);

        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(30)));
        places.Release(1);
        await next.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, places.TryTake(int.MaxValue));
    }

    [Fact(Timeout = TestWait.Hard)]
    public async Task ManyThreadsTakingAndReleasing_NeverHoldMoreThanTheCount_AndLoseNoPlace()
    {
        const int Count = 3;
        var places = new WindowPlaces(Count);
        var held = 0;
        var most = 0;
        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 2_000; i++)
            {
                var n = 1;
                if (w % 2 == 0)
                {
                    await places.WaitAsync(CancellationToken.None);
                }
                else if ((n = places.TryTake(2)) == 0)
                {
                    continue;
                }

                var now = Interlocked.Add(ref held, n);
                InterlockedMax(ref most, now);
                Interlocked.Add(ref held, -n);
                places.Release(n);
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(most, 1, Count);
        Assert.Equal(Count, places.TryTake(int.MaxValue));
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var seen = Volatile.Read(ref target);
        while (value > seen && Interlocked.CompareExchange(ref target, value, seen) is var was && was != seen)
        {
            seen = was;
        }
    }
}
