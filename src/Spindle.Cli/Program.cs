using Spindle.Cli;
using Spindle.Cli.Commands;

// `spindle run` is started thousands of times by scripts: it skips building the whole command tree and the console.
if (RunCommand.IsDirectInvocation(args))
{
    return RunCommand.Run(RunCommand.DirectWords(args), null, RunStreams.Console, CancellationToken.None);
}

return await SpindleCli.RunAsync(args, SpindleCli.StandardConsole(Console.Out, Console.IsOutputRedirected));
