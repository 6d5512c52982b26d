using System.Buffers.Binary;

namespace TypedSkv.Benchmarks;

/// <summary>
/// The records every benchmark writes: record i has a 16-byte key that is the lower-case hex text of a 64-bit hash of i
/// (like the hex of a content hash or an id digest in a real store) and a 100-byte incompressible value. Keys are spread
/// uniformly over the key space, and writing i = 0, 1, 2... inserts them in random key order; sorted neighbours share
/// only about log16(N) leading characters, so prefix-compressed indexes are not flattered (as they were by counter
/// keys under one constant prefix). Any record can be recomputed from i, so child processes need no shared key list.
/// </summary>
public static class BenchData
{
    public const int KeyBytes = 16;
    public const int ValueBytes = 100;

    /// <summary>SplitMix64's finalizer: a bijection on 64-bit values, so distinct i give distinct keys.</summary>
    public static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    public static void WriteKey(long i, Span<byte> destination)
    {
        if (!Mix((ulong)i).TryFormat(destination[..KeyBytes], out int written, "x16") || written != KeyBytes)
            throw new InvalidOperationException("key format");
    }

    public static byte[] Key(long i)
    {
        var key = new byte[KeyBytes];
        WriteKey(i, key);
        return key;
    }

    public static void WriteValue(long i, Span<byte> destination)
    {
        ulong state = Mix((ulong)i ^ 0x5DEECE66DUL);
        Span<byte> word = stackalloc byte[8];
        for (int at = 0; at < destination.Length; at += 8)
        {
            state = Mix(state);
            BinaryPrimitives.WriteUInt64LittleEndian(word, state);
            word[..Math.Min(8, destination.Length - at)].CopyTo(destination[at..]);
        }
    }

    public static byte[] Value(long i)
    {
        var value = new byte[ValueBytes];
        WriteValue(i, value);
        return value;
    }

    /// <summary>
    /// Hex characters of prefix for a prefix scan that finds at least <paramref name="atLeast"/> keys among
    /// <paramref name="n"/> uniform hex keys (at least 1 character).
    /// </summary>
    public static int PrefixChars(long n, int atLeast)
    {
        int chars = 1;
        while (n / Math.Pow(16, chars + 1) >= atLeast) chars++;
        return chars;
    }
}
