using Spindle.Cli;
using Spindle.Cli.Commands;

// `spindle run` runs here, natively compiled; anything else (bench, demo, help, version) becomes the full CLI.
if (RunCommand.IsDirectInvocation(args))
{
    return RunCommand.Run(RunCommand.DirectWords(args), null, RunStreams.Console, CancellationToken.None);
}

return FullCli.Exec(args);
