using System.Diagnostics;

namespace Spindle.Jobs;

/// <summary>
/// Hands the run's slot threads their next job: reads the next input, numbers it, skips what --resume says is done, and
/// holds the start back for --delay and for --memfree, --load and --noswap.
/// </summary>
internal sealed class JobDispatcher : IDisposable
{
    // Guards the input enumerator, job numbering, --delay and what the run does under it when a job is taken
    // (slot-thread start-up). Held while reading the next input (which may block on a pipe): only threads that want a
    // new job wait for it.
    private readonly Lock _lock = new();
    private readonly IEnumerator<JobInput> _inputs;
    private readonly HashSet<long> _resumeSet;
    private readonly TimeSpan _delay;
    private readonly ResourceGate _gate;
    private readonly CancellationToken _token;
    private long _seq;
    private long _lastStartTicks = long.MinValue;

    public JobDispatcher(IEnumerable<JobInput> inputs, HashSet<long> resumeSet, TimeSpan delay, ResourceGate gate, CancellationToken token)
    {
        _inputs = inputs.GetEnumerator();
        _resumeSet = resumeSet;
        _delay = delay;
        _gate = gate;
        _token = token;
    }

    /// <summary>Runs <paramref name="action"/> under the dispatch lock, as a taken job's follow-up runs.</summary>
    public void Locked(Action action)
    {
        lock (_lock)
        {
            action();
        }
    }

    /// <summary>
    /// The next job to run, or null when the inputs are done or <paramref name="stopping"/> says the run stops.
    /// <paramref name="skipped"/> hears of each job --resume skips; <paramref name="taken"/> runs under the lock once a
    /// job is taken, before the next caller can take one.
    /// </summary>
    public (long Seq, JobInput Input)? TakeNext(Func<bool> stopping, Action<long> skipped, Action taken)
    {
        lock (_lock)
        {
            while (true)
            {
                // Checked again after reading: the read may have blocked on a pipe while the run was stopped.
                if (stopping() || !_inputs.MoveNext() || stopping())
                {
                    return null;
                }

                var seq = ++_seq;
                var input = _inputs.Current;
                if (_resumeSet.Contains(seq))
                {
                    input.Stdin?.Dispose();
                    skipped(seq);
                    continue;
                }

                if (_delay > TimeSpan.Zero && _lastStartTicks != long.MinValue)
                {
                    var wait = _delay - Stopwatch.GetElapsedTime(_lastStartTicks);
                    if (wait > TimeSpan.Zero)
                    {
                        _token.WaitHandle.WaitOne(wait);
                        if (stopping())
                        {
                            return null;
                        }
                    }
                }

                if (_gate.Active && !_gate.WaitForRoom(stopping, _token))
                {
                    input.Stdin?.Dispose();
                    return null;
                }

                _lastStartTicks = Stopwatch.GetTimestamp();
                taken();
                return (seq, input);
            }
        }
    }

    public void Dispose() => _inputs.Dispose();
}
