using System.Globalization;

namespace Spindle.Jobs;

/// <summary>
/// GNU parallel's --memfree, --load and --noswap: a job starts only while the machine has that much memory available,
/// fewer running processes than the load limit, and is not swapping; otherwise the start waits, checking again every
/// 100 ms, while the running jobs go on.
/// </summary>
internal sealed class ResourceGate
{
    private readonly long? _memFree;
    private readonly double? _maxLoad;
    private readonly bool _noSwap;
    private readonly Func<MachineState> _probe;
    private long _lastSwapped = -1;
    private long _lastSwapTicks;

    public ResourceGate(long? memFree, double? maxLoad, bool noSwap, Func<MachineState>? probe)
    {
        _memFree = memFree;
        _maxLoad = maxLoad;
        _noSwap = noSwap;
        _probe = probe ?? MachineState.Read;
    }

    /// <summary>Whether any limit is set; without one the gate is never consulted.</summary>
    public bool Active => _memFree is not null || _maxLoad is not null || _noSwap;

    /// <summary>Waits until the machine allows a job to start; false if <paramref name="stopping"/> said to give up first.</summary>
    public bool WaitForRoom(Func<bool> stopping, CancellationToken token)
    {
        while (!Allows(_probe()))
        {
            if (stopping() || token.WaitHandle.WaitOne(100) || stopping())
            {
                return false;
            }
        }

        return true;
    }

    private bool Allows(MachineState state)
    {
        // First, so that every reading moves the swap baseline on, whatever else holds the start back.
        if (_noSwap)
        {
            // Swapping is pages moved since the last reading; the first reading only sets the baseline.
            var swapped = state.PagesSwapped;
            var moved = _lastSwapped >= 0 && swapped > _lastSwapped;
            if (_lastSwapped < 0 || System.Diagnostics.Stopwatch.GetElapsedTime(_lastSwapTicks) >= TimeSpan.FromSeconds(1) || moved)
            {
                _lastSwapped = swapped;
                _lastSwapTicks = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            if (moved)
            {
                return false;
            }
        }

        if (_memFree is { } needed && state.MemAvailable < needed)
        {
            return false;
        }

        // The run queue counts the processes ready to run; this thread, which is reading it, is one of them.
        if (_maxLoad is { } load && state.Runnable - 1 >= load)
        {
            return false;
        }

        return true;
    }

    /// <summary>Parses --load's MAX: a number of running processes, or N% of the cores.</summary>
    public static bool TryParseLoad(string text, int cores, out double load)
    {
        var percent = text.EndsWith('%');
        var ok = double.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out load) && load > 0;
        load = percent ? load * cores / 100.0 : load;
        return ok;
    }
}
