using Spindle.Threads;

namespace Spindle.Auto;

/// <summary>
/// Hill-climbing for the I/O lane: while tasks wait for a slot, raise the limit as long as throughput keeps
/// rising, and back off when it falls. Without a queue the limit is not what holds throughput back, so it stays.
/// </summary>
internal sealed class AdaptiveConcurrency : IDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);
    private readonly IoLane _lane;
    private readonly int _min;
    private readonly int _max;
    private readonly Timer _timer;
    private long _lastCompleted;
    private double _lastThroughput;

    public AdaptiveConcurrency(IoLane lane, int min, int max)
    {
        _lane = lane;
        _min = min;
        _max = max;
        _timer = new Timer(static s => ((AdaptiveConcurrency)s!).Step(), this, Interval, Interval);
    }

    public void Dispose() => _timer.Dispose();

    private void Step()
    {
        var completed = _lane.Completed;
        var throughput = (completed - _lastCompleted) / Interval.TotalSeconds;
        _lastCompleted = completed;
        var current = _lane.Concurrency;
        if (_lane.Waiting > 0 && throughput >= _lastThroughput * 0.98)
        {
            _lane.SetConcurrency(Math.Min(_max, current + Math.Max(1, current / 4)));
        }
        else if (_lane.Waiting > 0 && throughput < _lastThroughput * 0.8 && current > _min)
        {
            _lane.SetConcurrency(Math.Max(_min, current * 3 / 4));
        }

        _lastThroughput = throughput;
    }
}
