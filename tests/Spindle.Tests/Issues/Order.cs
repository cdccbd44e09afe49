namespace Spindle.Tests.Issues;

/// <summary>A record declared as a new user writes it: at file scope, so internal.</summary>
internal sealed record Order(string Customer, decimal Total);
