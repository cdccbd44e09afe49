namespace Spindle.Jobs;

/// <summary>The exact median of a growing set of numbers in O(log n) per value (two heaps), for --timeout N%.</summary>
internal sealed class RunningMedian
{
    // _low holds the smaller half as a max-heap (negated priorities), _high the larger half as a min-heap.
    private readonly PriorityQueue<double, double> _low = new();
    private readonly PriorityQueue<double, double> _high = new();

    public int Count => _low.Count + _high.Count;

    public double Median => Count == 0 ? 0 : _low.Count > _high.Count ? _low.Peek() : (_low.Peek() + _high.Peek()) / 2;

    public void Add(double value)
    {
        if (_low.Count == 0 || value <= _low.Peek())
        {
            _low.Enqueue(value, -value);
        }
        else
        {
            _high.Enqueue(value, value);
        }

        if (_low.Count > _high.Count + 1)
        {
            var moved = _low.Dequeue();
            _high.Enqueue(moved, moved);
        }
        else if (_high.Count > _low.Count)
        {
            var moved = _high.Dequeue();
            _low.Enqueue(moved, -moved);
        }
    }
}
