using System.Runtime.InteropServices;
using Spindle.Internal;

namespace Spindle.Sharing;

/// <summary>
/// Futex waits on a word in shared memory (Linux on x86_64 or arm64; the futex is not private, so other processes
/// wake it).
/// </summary>
internal static unsafe class Futex
{
    private const long SysFutexX64 = 202;
    private const long SysFutexArm64 = 98;
    private const int FutexWait = 0;
    private const int FutexWake = 1;

    // The futex system call's number differs by architecture (the generic table that arm64 uses has 98).
    private static readonly long s_sysFutex = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? SysFutexArm64 : SysFutexX64;

    /// <summary>Sleeps while <paramref name="word"/> still holds <paramref name="expected"/>; false when the timeout ran out.</summary>
    /// <remarks>A wake-up may be spurious, so every caller re-checks its condition in a loop.</remarks>
    public static bool Wait(int* word, int expected, int timeoutMilliseconds = Timeout.Infinite)
    {
        long result;
        if (timeoutMilliseconds < 0)
        {
            result = Libc.Syscall(s_sysFutex, word, FutexWait, expected, null, null, 0);
        }
        else
        {
            var timeout = new Libc.Timespec { Seconds = timeoutMilliseconds / 1000, Nanoseconds = timeoutMilliseconds % 1000 * 1_000_000L };
            result = Libc.Syscall(s_sysFutex, word, FutexWait, expected, &timeout, null, 0);
        }

        if (result == 0)
        {
            return true;
        }

        // EAGAIN (the word had already changed) and EINTR (a signal) are wake-ups like any other.
        return Marshal.GetLastPInvokeError() != Libc.ETIMEDOUT;
    }

    /// <summary>Wakes up to <paramref name="count"/> processes or threads sleeping on <paramref name="word"/>.</summary>
    public static void Wake(int* word, int count = int.MaxValue) => _ = Libc.Syscall(s_sysFutex, word, FutexWake, count, null, null, 0);
}
