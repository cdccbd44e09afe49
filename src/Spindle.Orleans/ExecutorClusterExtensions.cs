namespace Spindle.Orleans;

/// <summary>The cluster's factory beside the local ones: <c>Executor.Cluster(client)</c>.</summary>
public static class ExecutorClusterExtensions
{
    extension(Executor)
    {
        /// <summary>
        /// Creates an executor that runs tasks on the silos of the Orleans cluster <paramref name="client"/> is connected
        /// to (each silo is this same app, serving work with <c>siloBuilder.AddSpindle()</c>); work crosses by reference,
        /// arguments and results as MessagePack, as with <c>Executor.Processes</c>.
        /// </summary>
        public static Executor Cluster(IClusterClient client, ClusterExecutorOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(client);
            options ??= new ClusterExecutorOptions();
            options.Validate();
            return new ClusterExecutor(client, options);
        }
    }
}
