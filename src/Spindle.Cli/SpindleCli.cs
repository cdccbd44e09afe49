using System.CommandLine;
using Spectre.Console;
using Spindle.Cli.Commands;

namespace Spindle.Cli;

/// <summary>The spindle command line: parses, calls the library, renders. No logic lives only here.</summary>
internal static class SpindleCli
{
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console)
    {
        var root = new RootCommand("Spindle: run many tasks at once, on threads that share memory or on worker processes that each own theirs.");
        root.Subcommands.Add(DemoCommand.Create(console));
        root.Subcommands.Add(RunCommand.Create(console));
        root.Subcommands.Add(BenchCommand.Create(console));

        // No @response-file expansion: `spindle run` passes words such as @user to jobs untouched, as GNU parallel does.
        return await root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null }).InvokeAsync();
    }
}
