namespace Spindle.Tests.Dummy;

/// <summary>Reads the executor's socket directory, which the dummy reports so a test can check it is removed.</summary>
internal static class DummyIntrospection
{
    public static string SocketDirectory(Executor executor) => ((Spindle.Processes.ProcessExecutor)executor).Diagnostics.SocketDirectory;
}
