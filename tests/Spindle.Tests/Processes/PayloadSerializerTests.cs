using MessagePack;
using MessagePack.Resolvers;
using Spindle.Processes;

namespace Spindle.Tests.Processes;

/// <summary>The payload serializer's resolver: the contractless resolver's formats, reached lazily for user types.</summary>
public sealed class PayloadSerializerTests
{
    private static readonly MessagePackSerializerOptions Contractless = MessagePackSerializerOptions.Standard
        .WithResolver(ContractlessStandardResolver.Instance)
        .WithSecurity(MessagePackSecurity.UntrustedData);

    [Fact]
    public void EveryKindOfPayload_HasTheContractlessResolversBytes_AndRoundTrips()
    {
        AssertSameAsContractless(new[] { 1, -2, int.MaxValue });
        AssertSameAsContractless("text with ünïcode");
        AssertSameAsContractless(new byte[] { 1, 2, 3 });
        AssertSameAsContractless(3.25);
        AssertSameAsContractless(new Dictionary<string, int> { ["a"] = 1, ["b"] = 2 });
        AssertSameAsContractless(new List<Point> { new(1, 2), new(3, 4) });
        AssertSameAsContractless(new Point(5, 6));
        AssertSameAsContractless((Name: "x", Count: 7));
    }

    [Fact]
    public void CommonTypes_GetTheBuiltinResolversOwnFormatters()
    {
        AssertBuiltinFormatter<int>();
        AssertBuiltinFormatter<long>();
        AssertBuiltinFormatter<double>();
        AssertBuiltinFormatter<float>();
        AssertBuiltinFormatter<bool>();
        AssertBuiltinFormatter<string>();
        AssertBuiltinFormatter<byte[]>();
        AssertBuiltinFormatter<int[]>();
        AssertBuiltinFormatter<long[]>();
        AssertBuiltinFormatter<double[]>();
        AssertBuiltinFormatter<string[]>();
        AssertSameAsContractless(new[] { 1.5f, -2f });
        AssertSameAsContractless(new[] { "a", null, "c" });
        AssertSameAsContractless(new[] { long.MinValue, 0, 42 });
    }

    [Fact]
    public void PlainTypes_WrittenWithoutMessagePacksOptions_HaveTheFormattersBytes()
    {
        AssertSameAsContractless(0);
        AssertSameAsContractless(-1);
        AssertSameAsContractless(int.MinValue);
        AssertSameAsContractless(long.MaxValue);
        AssertSameAsContractless(double.NaN);
        AssertSameAsContractless(-0.5f);
        AssertSameAsContractless(true);
        AssertSameAsContractless<string?>(null);
        AssertSameAsContractless("");
        AssertSameAsContractless<byte[]?>(null);
        AssertSameAsContractless(Array.Empty<byte>());
        AssertSameAsContractless<int[]?>(null);
        AssertSameAsContractless(Array.Empty<int>());
        AssertSameAsContractless(Enumerable.Range(-70_000, 140_000).ToArray());
        AssertSameAsContractless(new[] { 0.1, double.MaxValue });
        AssertSameAsContractless(new[] { 1.5f });
        AssertSameAsContractless(new string?[] { null, "", "x" });
        Assert.NotNull(PlainPayload<int[]>.Write);
        Assert.Null(PlainPayload<Point>.Write);
    }

    [Fact]
    public void PlainTypes_ReadWhatTheFormattersWrote()
    {
        // A worker that writes with the plain path is read by a parent that may use either, and the other way round.
        Assert.Equal(300, PayloadSerializer.Deserialize<int>(MessagePackSerializer.Serialize(300L, Contractless)));
        Assert.Equal(2.5, PayloadSerializer.Deserialize<double>(MessagePackSerializer.Serialize(2.5, Contractless)));
        Assert.Equal(new long[] { 1, -1 }, PayloadSerializer.Deserialize<long[]>(MessagePackSerializer.Serialize(new[] { 1, -1 }, Contractless)));
        Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<int>(MessagePackSerializer.Serialize("x", Contractless)));
        Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<int[]>(new byte[] { 0x93, 0xc1 }));
        Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<string>(ReadOnlyMemory<byte>.Empty));
    }

    private static void AssertBuiltinFormatter<T>() =>
        Assert.Same(BuiltinResolver.Instance.GetFormatter<T>(), PayloadSerializer.Options.Resolver.GetFormatter<T>());

    private static void AssertSameAsContractless<T>(T value)
    {
        var bytes = PayloadSerializer.Serialize(value);
        Assert.Equal(MessagePackSerializer.Serialize(value, Contractless), bytes);
        Assert.Equal(value, PayloadSerializer.Deserialize<T>(bytes));
    }

    public sealed record Point(int X, int Y);
}
