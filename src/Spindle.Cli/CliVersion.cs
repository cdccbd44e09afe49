using System.Reflection;

namespace Spindle.Cli;

/// <summary>The version that <c>spindle --version</c> and <c>spindle run --version</c> print: the package version.</summary>
internal static class CliVersion
{
    /// <summary>The informational version of this assembly (the package version, e.g. 0.1.0).</summary>
    /// <remarks>Read from the attribute rather than the assembly version, which has four parts and no pre-release label.</remarks>
    public static string Text { get; } =
        typeof(CliVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
