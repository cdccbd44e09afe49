using System.Runtime.InteropServices;

namespace Spindle.Sharing;

/// <summary>
/// The libc calls behind shared segments that .NET does not expose: mmap of a descriptor with MAP_SHARED, and
/// futex waits on a word in shared memory (Linux on x86_64 or arm64; the futex is not private, so other processes
/// wake it).
/// </summary>
internal static unsafe partial class SharingNative
{
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapShared = 0x01;
    private const long SysFutexX64 = 202;
    private const long SysFutexArm64 = 98;
    private const int FutexWait = 0;
    private const int FutexWake = 1;
    private const int ETIMEDOUT = 110;

    [LibraryImport("libc", SetLastError = true)]
    private static partial nint mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int munmap(nint address, nuint length);

    // syscall(2) is variadic in C; on x86_64 integer arguments travel in the same registers either way, and glibc's
    // syscall reads them as they are. (On Apple's arm64 variadic arguments go on the stack, but there is no futex there.)
    [LibraryImport("libc", SetLastError = true)]
    private static partial long syscall(long number, void* address, int operation, int value, void* timeout, void* address2, int value3);

    // The futex system call's number differs by architecture (the generic table that arm64 uses has 98).
    private static readonly long s_sysFutex = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? SysFutexArm64 : SysFutexX64;

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
            result = syscall(s_sysFutex, word, FutexWait, expected, null, null, 0);
        }
        else
        {
            var timeout = new Timespec { Seconds = timeoutMilliseconds / 1000, Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L };
            result = syscall(s_sysFutex, word, FutexWait, expected, &timeout, null, 0);
        }

        if (result == 0)
        {
            return true;
        }

        // EAGAIN (the word had already changed) and EINTR (a signal) are wake-ups like any other.
        return Marshal.GetLastPInvokeError() != ETIMEDOUT;
    }

    /// <summary>Wakes up to <paramref name="count"/> processes or threads sleeping on <paramref name="word"/>.</summary>
    public static void Wake(int* word, int count = int.MaxValue) => _ = syscall(s_sysFutex, word, FutexWake, count, null, null, 0);
}
