using System.Runtime.InteropServices;

namespace Spindle.Cli;

/// <summary>Hands a command line to the full CLI (the managed <c>Spindle.Cli</c> published beside this executable) by exec, so that it becomes this process.</summary>
internal static unsafe partial class FullCli
{
    /// <summary>The full CLI's name in the publish folder: its apphost, or, failing that, its dll run by <c>dotnet</c>.</summary>
    public const string AppHost = "Spindle.Cli";

    public static int Exec(string[] args)
    {
        var folder = AppContext.BaseDirectory;
        var appHost = Path.Combine(folder, AppHost);
        var dll = Path.Combine(folder, AppHost + ".dll");
        string[] argv;
        if (File.Exists(appHost))
        {
            argv = [appHost, .. args];
        }
        else if (File.Exists(dll))
        {
            argv = ["dotnet", dll, .. args];
        }
        else
        {
            Console.Error.WriteLine($"spindle: the full CLI ({AppHost}) is not in '{folder}', so only 'spindle run' works here; reinstall the tool (dotnet tool update -g Spindle.Tool) or publish src/Spindle.Cli into the same folder.");
            return 255;
        }

        // The same process, the same PID, signals and exit status: the full CLI simply takes over.
        var error = ExecVp(argv);
        Console.Error.WriteLine($"spindle: could not start '{argv[0]}' ({Marshal.GetPInvokeErrorMessage(error)}); reinstall the tool (dotnet tool update -g Spindle.Tool) or publish src/Spindle.Cli into '{folder}'.");
        return 255;
    }

    private static int ExecVp(string[] argv)
    {
        var pointers = new nint[argv.Length + 1];
        try
        {
            for (var i = 0; i < argv.Length; i++)
            {
                pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
            }

            fixed (nint* p = pointers)
            {
                _ = ExecVpNative(pointers[0], p);
            }

            return Marshal.GetLastPInvokeError();
        }
        finally
        {
            foreach (var pointer in pointers)
            {
                Marshal.FreeCoTaskMem(pointer);
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "execvp", SetLastError = true)]
    private static partial int ExecVpNative(nint file, nint* argv);
}
