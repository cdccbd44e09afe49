using MessagePack;
using Spindle.Processes;
using Spindle.Sharing;

namespace Spindle.Tests.Sharing;

/// <summary>A handle that names no segment of this app, or names one wrongly, is refused with an error saying why.</summary>
public sealed class SharedHandleTests
{
    private static byte[] Handle(string owner, string name, long offset = 0, int length = 1, int elementSize = sizeof(double)) =>
        MessagePackSerializer.Serialize(new object[] { owner, name, offset, length, elementSize });

    [Fact(Timeout = TestWait.Hard)]
    public async Task Worker_RefusesHandles_OfAForeignOwner_AnUnknownSegment_OrAPath()
    {
        await using var executor = SharingTestKit.Processes(1);
        using var array = SharedArray<double>.Create(8);
        var owner = array.Segment.Root.Owner;

        var foreign = await executor.Submit(SharingWork.Attach, Handle(SegmentName.New(), array.Segment.Name));
        var unknown = await executor.Submit(SharingWork.Attach, Handle(owner, SegmentName.New()));
        var path = await executor.Submit(SharingWork.Attach, Handle(owner, "../../../etc/passwd"));
        var good = await executor.Submit(SharingWork.Attach, Handle(owner, array.Segment.Name, 2, 6));

        Assert.Contains("which is neither this process's nor its parent's", foreign, StringComparison.Ordinal);
        Assert.Contains("which does not exist any more", unknown, StringComparison.Ordinal);
        Assert.Contains("which are not Spindle names", path, StringComparison.Ordinal);
        Assert.Equal("accepted 6", good);
        Assert.All([foreign, unknown, path], message => Assert.StartsWith(nameof(SharedHandleException), message, StringComparison.Ordinal));
    }

    [Fact]
    public void Deserialize_RefusesAWrongElementType_AndARangeBeyondTheSegment()
    {
        using var array = SharedArray<double>.Create(8);
        var owner = array.Segment.Root.Owner;

        var asInts = Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<SharedArray<int>>(PayloadSerializer.Serialize(array)));
        var beyond = Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<SharedArray<double>>(Handle(owner, array.Segment.Name, 4, 5)));
        var negative = Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<SharedArray<double>>(Handle(owner, array.Segment.Name, -1, 2)));

        Assert.Contains("whose elements are 8 bytes, not 4", asInts.InnerException!.Message, StringComparison.Ordinal);
        Assert.Contains("asks for 5 elements from 4", beyond.InnerException!.Message, StringComparison.Ordinal);
        Assert.IsType<SharedHandleException>(negative.InnerException);
    }

    [Fact]
    public void Deserialize_RefusesAnArrayHandle_ReadAsALock()
    {
        using var array = SharedArray<double>.Create(8);
        var handle = MessagePackSerializer.Serialize(new object[] { array.Segment.Root.Owner, array.Segment.Name });

        var error = Assert.Throws<MessagePackSerializationException>(() => PayloadSerializer.Deserialize<SharedLock>(handle));

        Assert.Contains("which holds a shared array", error.InnerException!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_WritesTheHandle_NotTheContents()
    {
        using var array = SharedArray<double>.Create(1_000_000);

        var bytes = PayloadSerializer.Serialize(array);

        Assert.True(bytes.Length < 100, $"A handle to 8 MB took {bytes.Length} bytes.");
        var back = PayloadSerializer.Deserialize<SharedArray<double>>(bytes);
        Assert.False(back.IsOwner);
        back.Span[5] = 3;
        Assert.Equal(3, array[5]);
    }
}
