namespace Spindle;

/// <summary>Thrown when options are invalid; lists every problem found, each with its value and the fix.</summary>
public sealed class SpindleOptionsException : ArgumentException
{
    internal SpindleOptionsException(string what, IReadOnlyList<string> problems)
        : base($"{what} {(problems.Count == 1 ? "has a problem" : $"have {problems.Count} problems")}: " + string.Join(" ", problems))
    {
        Problems = problems;
    }

    /// <summary>Each problem as one sentence.</summary>
    public IReadOnlyList<string> Problems { get; }
}
