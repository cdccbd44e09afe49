using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Spectre.Console;
using Spindle.Cli.Commands;

namespace Spindle.Cli;

/// <summary>The spindle command line: parses, calls the library, renders. No logic lives only here.</summary>
internal static class SpindleCli
{
    /// <summary>Exit status of a command line that could not be parsed or a command that failed before it ran.</summary>
    public const int UsageError = 2;

    /// <summary>The name users type; help, usage and errors say it (rather than the assembly's name).</summary>
    public const string Name = "spindle";

    /// <summary>Columns given to tables and sentences written to a pipe or a file: wide enough that nothing wraps.</summary>
    public const int PipedWidth = 4096;

    /// <summary>
    /// The console commands render to. On a terminal, Spectre sizes it to the window and colours it unless NO_COLOR is
    /// set; piped or redirected, it is given <see cref="PipedWidth"/> columns, because Spectre otherwise assumes 80 and
    /// breaks table cells and long lines in the middle of words, which a reader of the file or the next tool cannot undo.
    /// </summary>
    public static IAnsiConsole StandardConsole(TextWriter output, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
        if (redirected)
        {
            console.Profile.Width = PipedWidth;
        }

        return console;
    }

    /// <summary>Parses <paramref name="args"/> and runs the command; returns the exit status.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="console">Where commands render tables and progress (standard output).</param>
    /// <param name="output">Where help and the version go; standard output when null.</param>
    /// <param name="error">Where every error goes, as one line; standard error when null.</param>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("Spindle: run many tasks at once, on threads that share memory or on worker processes that each own theirs.")
        {
            HelpName = Name,
        };
        root.Subcommands.Add(RunCommand.Create(console));
        root.Subcommands.Add(RunCommand.Create(console, name: "sem"));
        root.Subcommands.Add(BenchCommand.Create(console, error));
        root.Subcommands.Add(DemoCommand.Create(console, error));
        foreach (var option in root.Options)
        {
            if (option is VersionOption version)
            {
                version.Action = new PrintVersion();
            }
            else if (option is HelpOption { Action: HelpAction help } && Console.IsOutputRedirected)
            {
                // Piped help is read by tools and pagers, which wrap for themselves: never break its lines mid-word.
                help.MaxWidth = int.MaxValue;
            }
        }

        // No @response-file expansion: `spindle run` passes words such as @user to jobs untouched, as GNU parallel does.
        var result = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (result.Errors.Count > 0 && result.Action is ParseErrorAction)
        {
            // One line on stderr, the first problem only (the rest usually follow from it), and where to look next;
            // System.CommandLine's own report would add the whole help page to it.
            var command = CommandPath(result.CommandResult.Command);
            await error.WriteLineAsync($"{command}: {Explain(result.CommandResult.Command, result.Errors)} See '{command} --help'.");
            return UsageError;
        }

        try
        {
            return await result.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // An unexpected failure is still one sentence to the user, not a stack trace with type names.
            await error.WriteLineAsync($"{CommandPath(result.CommandResult.Command)}: {Sentence(e.Message)}");
            return 1;
        }
    }

    /// <summary>"spindle" or "spindle bench": how the user named the command that failed.</summary>
    private static string CommandPath(Command command) => command is RootCommand ? Name : $"{Name} {command.Name}";

    /// <summary>
    /// The first parse error, as a sentence naming the bad word and the fix. An unknown word comes first: "a command is
    /// required" after `spindle frob` is true but beside the point.
    /// </summary>
    private static string Explain(Command command, IReadOnlyList<ParseError> errors)
    {
        var first = errors.FirstOrDefault(e => e.Message.StartsWith(Unrecognized, StringComparison.Ordinal)) ?? errors[0];
        var message = first.Message;
        if (message.StartsWith(Unrecognized, StringComparison.Ordinal))
        {
            var word = message[Unrecognized.Length..].Trim().TrimEnd('.');
            return command is RootCommand
                ? $"{word} is not a command or option of spindle; the commands are {string.Join(", ", command.Subcommands.Select(c => c.Name))}."
                : $"{word} is not an option of {CommandPath(command)}.";
        }

        if (message.StartsWith("Required command was not provided", StringComparison.Ordinal))
        {
            return $"give a command: {string.Join(", ", command.Subcommands.Select(c => c.Name))}.";
        }

        if (message.StartsWith(MissingValue, StringComparison.Ordinal))
        {
            return $"{message[MissingValue.Length..].Trim().TrimEnd('.').Trim('\'')} needs a value.";
        }

        return Sentence(message);
    }

    private const string Unrecognized = "Unrecognized command or argument";

    private const string MissingValue = "Required argument missing for option:";

    private static string Sentence(string message)
    {
        var trimmed = message.Trim();
        return trimmed.EndsWith('.') ? trimmed : trimmed + ".";
    }

    /// <summary>Prints the package version alone, as <c>spindle run --version</c> does.</summary>
    private sealed class PrintVersion : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(CliVersion.Text);
            return 0;
        }
    }
}
