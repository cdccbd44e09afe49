using System.Buffers;
using System.Security.Cryptography;

namespace Spindle.Sharing;

/// <summary>Names of shared segments and owners: 16 random bytes as 32 lowercase hexadecimal digits, so unguessable.</summary>
internal static class SegmentName
{
    public const int Length = 32;

    private static readonly SearchValues<char> s_digits = SearchValues.Create("0123456789abcdef");

    public static string New() => Convert.ToHexString(RandomNumberGenerator.GetBytes(Length / 2)).ToLowerInvariant();

    /// <summary>Whether a name read from a handle is one this code could have made (and so names no other path).</summary>
    public static bool IsValid(string? name) => name is { Length: Length } && name.AsSpan().IndexOfAnyExcept(s_digits) < 0;
}
