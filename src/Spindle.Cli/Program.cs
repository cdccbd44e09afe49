using Spectre.Console;
using Spindle.Cli;

return await SpindleCli.RunAsync(args, AnsiConsole.Console);
