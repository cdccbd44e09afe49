// The runtime's startup-hook contract requires exactly this: a class named StartupHook in no namespace with a
// static Initialize method. A parent names this assembly in DOTNET_STARTUP_HOOKS when it re-executes the app as a
// worker, so the worker loop runs before the app's Main (which never runs in a worker) — with no line needed in
// Main, and under test hosts whose Main is not the user's.
#pragma warning disable CA1050 // Declare types in namespaces: the runtime looks this type up by its bare name.

/// <summary>Runs a Spindle worker before Main when the process was started as one; does nothing otherwise.</summary>
internal static class StartupHook
{
    /// <summary>Called by the runtime before Main.</summary>
    public static void Initialize() => Spindle.Worker.RunIfWorker();
}
