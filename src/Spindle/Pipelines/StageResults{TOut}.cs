namespace Spindle.Pipelines;

/// <summary>What a take produced: <see cref="Count"/> values, either <see cref="One"/> (when <see cref="Many"/> is null) or the first Count of Many.</summary>
internal readonly record struct StageResults<TOut>(int Count, TOut? One, TOut[]? Many)
{
    public TOut At(int index) => Many is null ? One! : Many[index];
}
