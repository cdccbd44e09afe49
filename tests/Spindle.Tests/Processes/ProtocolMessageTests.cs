using FsCheck;
using FsCheck.Fluent;
using Spindle.Processes.Protocol;

namespace Spindle.Tests.Processes;

/// <summary>Every message of the process protocol reads back as it was written, through the same framing a channel uses.</summary>
public sealed class ProtocolMessageTests
{
    private static readonly Config Quick = Config.QuickThrowOnFailure.WithMaxTest(200).WithQuietOnSuccess(true);

    private static Gen<byte[]> Bytes => Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>());

    private static Gen<string> Text => ArbMap.Default.GeneratorFor<NonNull<string>>().Select(static s => s.Get);

    private static Gen<MethodRef> Methods =>
        from name in Text
        from path in Text
        from token in ArbMap.Default.GeneratorFor<int>()
        select new MethodRef(name, path, token);

    [Fact]
    public void Hello_RoundTrips() => Check.One(Quick, Prop.ForAll(
        (from token in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), HelloMessage.TokenLength)
         from id in ArbMap.Default.GeneratorFor<int>()
         from pid in ArbMap.Default.GeneratorFor<int>()
         from app in Gen.OneOf(Gen.Constant<string?>(null), Text.Select(static s => (string?)s))
         select new HelloMessage(token, id, pid, app)).ToArbitrary(),
        static m =>
        {
            var back = HelloMessage.Read(Reframe(m, FrameType.Hello));
            return back.Token.Span.SequenceEqual(m.Token.Span) && (back.WorkerId, back.Pid, back.App) == (m.WorkerId, m.Pid, m.App);
        }));

    [Fact]
    public void Welcome_RoundTrips() => Check.One(Quick, Prop.ForAll(
        Gen.OneOf(Gen.Constant<MethodRef?>(null), Methods.Select(static m => (MethodRef?)m)).Select(static m => new WelcomeMessage(m)).ToArbitrary(),
        static m => WelcomeMessage.Read(Reframe(m, FrameType.Welcome)) == m));

    [Fact]
    public void Define_RoundTrips() => Check.One(Quick, Prop.ForAll(
        (from id in ArbMap.Default.GeneratorFor<int>() from method in Methods select new DefineMessage(id, method)).ToArbitrary(),
        static m => DefineMessage.Read(Reframe(m, FrameType.Define)) == m));

    [Fact]
    public void Run_RoundTrips() => Check.One(Quick, Prop.ForAll(
        (from id in ArbMap.Default.GeneratorFor<long>()
         from function in ArbMap.Default.GeneratorFor<int>()
         from batch in ArbMap.Default.GeneratorFor<bool>()
         from trace in Gen.OneOf(Gen.Constant<string?>(null), Text.Select(static s => (string?)s))
         from payload in Bytes
         select new RunMessage(id, function, batch, trace, payload)).ToArbitrary(),
        static m =>
        {
            var back = RunMessage.Read(Reframe(m, FrameType.Run));
            return (back.TaskId, back.FunctionId, back.IsBatch, back.TraceParent) == (m.TaskId, m.FunctionId, m.IsBatch, m.TraceParent)
                && back.Payload.Span.SequenceEqual(m.Payload.Span);
        }));

    [Fact]
    public void Cancel_RoundTrips() => Check.One(Quick, Prop.ForAll(
        ArbMap.Default.GeneratorFor<long>().Select(static id => new CancelMessage(id)).ToArbitrary(),
        static m => CancelMessage.Read(Reframe(m, FrameType.Cancel)) == m));

    [Fact]
    public void Stop_IsAnEmptyFrame() => Assert.Equal(0, Reframe(default(StopMessage), FrameType.Stop).Length);

    [Fact]
    public void Replies_RoundTrip() => Check.One(Quick, Prop.ForAll(
        (from kind in Gen.Elements(FrameType.Result, FrameType.Error, FrameType.Cancelled)
         from id in ArbMap.Default.GeneratorFor<long>()
         from rss in ArbMap.Default.GeneratorFor<long>()
         from elapsed in ArbMap.Default.GeneratorFor<long>()
         from results in Bytes
         from error in Bytes
         select kind switch
         {
             FrameType.Result => ReplyMessage.Result(id, rss, elapsed, results),
             FrameType.Error => ReplyMessage.Failure(id, rss, elapsed, results, error),
             _ => ReplyMessage.Cancelled(id, rss, elapsed),
         }).ToArbitrary(),
        static m =>
        {
            var back = ReplyMessage.Read(m.Type, Reframe(m, m.Type));
            return (back.Type, back.TaskId, back.ResidentBytes, back.ElapsedTicks) == (m.Type, m.TaskId, m.ResidentBytes, m.ElapsedTicks)
                && back.Results.Span.SequenceEqual(m.Results.Span) && back.Error.Span.SequenceEqual(m.Error.Span);
        }));

    [Fact]
    public void Reply_OfAnotherType_OrCutShort_IsAProtocolViolation()
    {
        Assert.Throws<InvalidDataException>(() => ReplyMessage.Read(FrameType.Run, new byte[24]));
        Assert.Throws<InvalidDataException>(() => ReplyMessage.Read(FrameType.Result, new byte[23]));
        Assert.Throws<InvalidDataException>(() => ReplyMessage.Read(FrameType.Error, new byte[24]));
    }

    /// <summary>Writes the message as a frame and reads it back through a channel's reader, checking its type.</summary>
    private static ReadOnlyMemory<byte> Reframe<T>(T message, FrameType expected)
        where T : struct, IMessage
    {
        var reader = new FrameReader(new MemoryStream(message.ToFrame()), 1 << 20);
        Assert.True(reader.TryRead(out var type, out var body));
        Assert.Equal(expected, type);
        return body.ToArray();
    }
}
