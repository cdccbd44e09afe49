namespace Spindle.Jobs;

/// <summary>One job's input: its arguments and, under --pipe or --pipepart, the chunk it reads on stdin.</summary>
internal readonly record struct JobInput(string[] Args, PipeChunk? Stdin);
