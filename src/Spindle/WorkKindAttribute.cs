namespace Spindle;

/// <summary>Declares the kind of work a method does, so that Auto routes it without measuring.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class WorkKindAttribute(WorkKind kind) : Attribute
{
    /// <summary>The declared kind.</summary>
    public WorkKind Kind { get; } = kind;
}
