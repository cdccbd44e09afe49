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
/// through <c>RandomNumberGenerator</c>: that loads System.Security.Cryptography and OpenSSL (about 6 MB resident and
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
            type == typeof(int) ? One<int, Plain.Int32>()
            : type == typeof(long) ? One<long, Plain.Int64>()
            : type == typeof(double) ? One<double, Plain.Double>()
            : type == typeof(float) ? One<float, Plain.Single>()
            : type == typeof(bool) ? One<bool, Plain.Boolean>()
            : type == typeof(string) ? One<string?, Plain.String>()
            : type == typeof(byte[]) ? One<byte[]?, Plain.Bytes>()
            : type == typeof(int[]) ? Many<int, Plain.Int32>()
            : type == typeof(long[]) ? Many<long, Plain.Int64>()
            : type == typeof(double[]) ? Many<double, Plain.Double>()
            : type == typeof(float[]) ? Many<float, Plain.Single>()
            : type == typeof(string[]) ? Many<string?, Plain.String>()
            : ((Delegate?)null, (Delegate?)null);
        Write = (Func<T, byte[]>?)write;
        Read = (Func<ReadOnlyMemory<byte>, T>?)read;
    }

    private static (Delegate, Delegate) One<TValue, TPlain>()
        where TPlain : struct, IPlain<TValue> =>
        (Plain.Write<TValue, TPlain>, Plain.Read<TValue, TPlain>);

    private static (Delegate, Delegate) Many<TValue, TPlain>()
        where TPlain : struct, IPlain<TValue> =>
        (Plain.Write<TValue[]?, Plain.Array<TValue, TPlain>>, Plain.Read<TValue[]?, Plain.Array<TValue, TPlain>>);
}

/// <summary>One plain type's write and read; a struct, so that each use is compiled for its type and inlined.</summary>
internal interface IPlain<TValue>
{
    static abstract void Write(ref MessagePackWriter writer, TValue value);

    static abstract TValue Read(ref MessagePackReader reader);
}

internal static class Plain
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    public static byte[] Write<TValue, TPlain>(TValue value)
        where TPlain : struct, IPlain<TValue>
    {
        // One reusable buffer per thread; a large one is left to the collector rather than held by the thread for good.
        var buffer = t_buffer ?? new ArrayBufferWriter<byte>(256);
        t_buffer = null;
        var writer = new MessagePackWriter(buffer);
        TPlain.Write(ref writer, value);
        writer.Flush();
        var bytes = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity <= 64 * 1024)
        {
            buffer.ResetWrittenCount();
            t_buffer = buffer;
        }

        return bytes;
    }

    public static TValue Read<TValue, TPlain>(ReadOnlyMemory<byte> bytes)
        where TPlain : struct, IPlain<TValue>
    {
        try
        {
            var reader = new MessagePackReader(bytes);
            return TPlain.Read(ref reader);
        }
        catch (Exception e)
        {
            // As MessagePackSerializer does, so that every caller catches one exception type for bytes that do not read.
            throw new MessagePackSerializationException($"Failed to deserialize {typeof(TValue).FullName} value.", e);
        }
    }

    public struct Int32 : IPlain<int>
    {
        public static void Write(ref MessagePackWriter writer, int value) => writer.Write(value);

        public static int Read(ref MessagePackReader reader) => reader.ReadInt32();
    }

    public struct Int64 : IPlain<long>
    {
        public static void Write(ref MessagePackWriter writer, long value) => writer.Write(value);

        public static long Read(ref MessagePackReader reader) => reader.ReadInt64();
    }

    public struct Double : IPlain<double>
    {
        public static void Write(ref MessagePackWriter writer, double value) => writer.Write(value);

        public static double Read(ref MessagePackReader reader) => reader.ReadDouble();
    }

    public struct Single : IPlain<float>
    {
        public static void Write(ref MessagePackWriter writer, float value) => writer.Write(value);

        public static float Read(ref MessagePackReader reader) => reader.ReadSingle();
    }

    public struct Boolean : IPlain<bool>
    {
        public static void Write(ref MessagePackWriter writer, bool value) => writer.Write(value);

        public static bool Read(ref MessagePackReader reader) => reader.ReadBoolean();
    }

    public struct String : IPlain<string?>
    {
        public static void Write(ref MessagePackWriter writer, string? value) => writer.Write(value);

        public static string? Read(ref MessagePackReader reader) => reader.ReadString();
    }

    public struct Bytes : IPlain<byte[]?>
    {
        public static void Write(ref MessagePackWriter writer, byte[]? value) => writer.Write(value);

        public static byte[]? Read(ref MessagePackReader reader) => reader.ReadBytes()?.ToArray();
    }

    /// <summary>An array of a plain type: nil for null, else a header and the items (the built-in array formatters' bytes).</summary>
    public struct Array<TValue, TPlain> : IPlain<TValue[]?>
        where TPlain : struct, IPlain<TValue>
    {
        public static void Write(ref MessagePackWriter writer, TValue[]? values)
        {
            if (values is null)
            {
                writer.WriteNil();
                return;
            }

            writer.WriteArrayHeader(values.Length);
            foreach (var value in values)
            {
                TPlain.Write(ref writer, value);
            }
        }

        public static TValue[]? Read(ref MessagePackReader reader)
        {
            if (reader.TryReadNil())
            {
                return null;
            }

            var values = new TValue[reader.ReadArrayHeader()];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = TPlain.Read(ref reader);
            }

            return values;
        }
    }
}
