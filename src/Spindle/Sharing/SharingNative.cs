using System.Runtime.InteropServices;

namespace Spindle.Sharing;

/// <summary>
/// The libc calls behind shared segments that .NET does not expose: mmap of a descriptor with MAP_SHARED, and
/// futex waits on a word in shared memory (x86_64 Linux; the futex is not private, so other processes wake it).
/// </summary>
internal static unsafe partial class SharingNative
{
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapShared = 0x01;
    private const long SysFutex = 202;
    private const int FutexWait = 0;
    private const int FutexWake = 1;
    private const int EAGAIN = 11;
    private const int EINTR = 4;
    private const int ETIMEDOUT = 110;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    // syscall(2) is variadic in C; on x86_64 integer arguments travel in the same registers either way, and glibc's
    // syscall reads them as they are.
    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, void* address, int operation, int value, void* timeout, void* address2, int value3);

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>Maps a whole file read-write and shared; the mapping outlives the descriptor.</summary>
    public static nint Map(SafeHandle file, long bytes)
    {
        var address = mmap(0, (nuint)bytes, ProtReadWrite, MapShared, (int)file.DangerousGetHandle(), 0);
        if (address == -1)
        {
            throw new IOException($"mmap of {bytes} bytes failed with errno {Marshal.GetLastPInvokeError()}; check the free space of /dev/shm ('df /dev/shm').");
        }

        return address;
    }

    public static void Unmap(nint address, long bytes) => _ = munmap(address, (nuint)bytes);

    /// <summary>Sleeps while <paramref name="word"/> still holds <paramref name="expected"/>; false when the timeout ran out.</summary>
    /// <remarks>A wake-up may be spurious, so every caller re-checks its condition in a loop.</remarks>
    public static bool Wait(int* word, int expected, int timeoutMilliseconds = Timeout.Infinite)
    {
        long result;
        if (timeoutMilliseconds < 0)
        {
            result = syscall(SysFutex, word, FutexWait, expected, null, null, 0);
        }
        else
        {
            var timeout = new Timespec { Seconds = timeoutMilliseconds / 1000, Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L };
            result = syscall(SysFutex, word, FutexWait, expected, &timeout, null, 0);
        }

        if (result == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno is EAGAIN or EINTR || errno != ETIMEDOUT;
    }

    /// <summary>Wakes up to <paramref name="count"/> processes or threads sleeping on <paramref name="word"/>.</summary>
    public static void Wake(int* word, int count = int.MaxValue) => _ = syscall(SysFutex, word, FutexWake, count, null, null, 0);
}
