using System.Buffers;
using MessagePack;

namespace Spindle.Processes;

/// <summary>
/// The payloads most tasks carry (numbers, booleans, strings, byte arrays and arrays of numbers or strings), written
/// and read with MessagePack's writer and reader alone, in exactly the bytes its built-in formatters give them.
/// </summary>
/// <remarks>
/// Going through <see cref="MessagePackSerializer"/> needs a <see cref="MessagePackSerializerOptions"/>, and the first
/// options object of a process runs <see cref="MessagePackSecurity"/>'s type initialiser, which seeds a SipHash key
/// through <c>RandomNumberGenerator</c>: that loads System.Security.Cryptography and OpenSSL (about 10 MB resident and
/// 8 ms of CPU in a fresh worker). A worker whose tasks carry only these types never pays for it.
/// </remarks>
internal static class PlainPayload<T>
{
    public static readonly Func<T, byte[]>? Write;
    public static readonly Func<ReadOnlyMemory<byte>, T>? Read;

    static PlainPayload()
    {
        var type = typeof(T);
        (Delegate? write, Delegate? read) =
            type == typeof(int) ? (Writer<int>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadInt32()))
            : type == typeof(long) ? (Writer<long>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadInt64()))
            : type == typeof(double) ? (Writer<double>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadDouble()))
            : type == typeof(float) ? (Writer<float>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadSingle()))
            : type == typeof(bool) ? (Writer<bool>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadBoolean()))
            : type == typeof(string) ? (Writer<string?>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadString()))
            : type == typeof(byte[]) ? (Writer<byte[]?>(static (ref w, v) => w.Write(v)), Reader(static (ref r) => r.ReadBytes()?.ToArray()))
            : type == typeof(int[]) ? (ArrayWriter<int>(static (ref w, v) => w.Write(v)), ArrayReader(static (ref r) => r.ReadInt32()))
            : type == typeof(long[]) ? (ArrayWriter<long>(static (ref w, v) => w.Write(v)), ArrayReader(static (ref r) => r.ReadInt64()))
            : type == typeof(double[]) ? (ArrayWriter<double>(static (ref w, v) => w.Write(v)), ArrayReader(static (ref r) => r.ReadDouble()))
            : type == typeof(float[]) ? (ArrayWriter<float>(static (ref w, v) => w.Write(v)), ArrayReader(static (ref r) => r.ReadSingle()))
            : type == typeof(string[]) ? (ArrayWriter<string?>(static (ref w, v) => w.Write(v)), ArrayReader(static (ref r) => r.ReadString()))
            : ((Delegate?)null, (Delegate?)null);
        Write = (Func<T, byte[]>?)write;
        Read = (Func<ReadOnlyMemory<byte>, T>?)read;
    }

    private delegate void WriteOne<TValue>(ref MessagePackWriter writer, TValue value);

    private delegate TValue ReadOne<TValue>(ref MessagePackReader reader);

    private static Func<TValue, byte[]> Writer<TValue>(WriteOne<TValue> write) => value =>
    {
        var buffer = PayloadBuffer.Take();
        var writer = new MessagePackWriter(buffer);
        write(ref writer, value);
        writer.Flush();
        return PayloadBuffer.Give(buffer);
    };

    private static Func<ReadOnlyMemory<byte>, TValue> Reader<TValue>(ReadOne<TValue> read) => bytes =>
    {
        var reader = new MessagePackReader(bytes);
        return read(ref reader);
    };

    private static Func<TValue[]?, byte[]> ArrayWriter<TValue>(WriteOne<TValue> write) => Writer<TValue[]?>((ref writer, values) =>
    {
        if (values is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteArrayHeader(values.Length);
        foreach (var value in values)
        {
            write(ref writer, value);
        }
    });

    private static Func<ReadOnlyMemory<byte>, TValue[]?> ArrayReader<TValue>(ReadOne<TValue> read) => Reader<TValue[]?>((ref reader) =>
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        var length = reader.ReadArrayHeader();
        if (length == 0)
        {
            return [];
        }

        var values = new TValue[length];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = read(ref reader);
        }

        return values;
    });
}

/// <summary>One reusable write buffer per thread, for <see cref="PlainPayload{T}"/>.</summary>
internal static class PayloadBuffer
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static ArrayBufferWriter<byte> Take()
    {
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(256);
        t_buffer = null;
        return buffer;
    }

    public static byte[] Give(ArrayBufferWriter<byte> buffer)
    {
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity <= 64 * 1024)
        {
            // A large buffer is left to the collector rather than held by the thread for good.
            buffer.ResetWrittenCount();
            t_buffer = buffer;
        }

        return bytes;
    }
}
