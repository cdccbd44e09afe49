namespace Spindle.Internal;

/// <summary>Collects every problem found in a set of options so that they are reported together.</summary>
internal sealed class ProblemList
{
    private readonly List<string> _problems = [];

    public void Add(string problem) => _problems.Add(problem);

    public void ThrowIfAny(string what)
    {
        if (_problems.Count > 0)
        {
            throw new SpindleOptionsException(what, _problems);
        }
    }
}
