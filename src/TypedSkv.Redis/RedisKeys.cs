using System.Buffers;

namespace TypedSkv.Redis;

/// <summary>
/// The Redis key layout (docs/redis.md). A store key <c>K</c> lives at the Redis key <c>{T}K</c>, where the hash tag
/// <c>T</c> is <c>K</c> up to its first '/', '#', '{' or '}' - the collection name for typed keys ("users/..." and the
/// index entries "users#email/..." both get <c>{users}</c>), so one collection's records and index entries share one
/// cluster slot. The ordering index of tag <c>T</c> is the sorted set at <c>{T}</c> (the bare tag: no data key is that
/// short, because a store key is never empty): members are the store keys, all with score 0, read with ZRANGEBYLEX.
/// </summary>
public static class RedisKeys
{
    private static readonly SearchValues<byte> Separators = SearchValues.Create("/#{}"u8);

    /// <summary>Length of the hash tag of a store key (or of a key prefix, when it contains a separator).</summary>
    public static int TagLength(ReadOnlySpan<byte> key)
    {
        int i = key.IndexOfAny(Separators);
        return i < 0 ? key.Length : i;
    }

    /// <summary>Whether every key starting with <paramref name="prefix"/> has the same tag (the prefix holds a separator).</summary>
    public static bool PrefixFixesTag(ReadOnlySpan<byte> prefix) => prefix.IndexOfAny(Separators) >= 0;

    /// <summary>The Redis key of a store key: <c>{tag}key</c>.</summary>
    public static byte[] DataKey(ReadOnlySpan<byte> key)
    {
        int tag = TagLength(key);
        var result = new byte[key.Length + tag + 2];
        result[0] = (byte)'{';
        key[..tag].CopyTo(result.AsSpan(1));
        result[tag + 1] = (byte)'}';
        key.CopyTo(result.AsSpan(tag + 2));
        return result;
    }

    /// <summary>The sorted set holding the keys of one tag: <c>{tag}</c>.</summary>
    public static byte[] IndexKey(ReadOnlySpan<byte> tag)
    {
        var result = new byte[tag.Length + 2];
        result[0] = (byte)'{';
        tag.CopyTo(result.AsSpan(1));
        result[^1] = (byte)'}';
        return result;
    }

    /// <summary>
    /// The version counter of a tag, <c>{tag}tag~version</c>: incremented (INCR) in every MULTI/EXEC that writes the
    /// tag, so a backup can tell whether the tag changed between two of its reads. Never a data key (a data key
    /// <c>{tag}K</c> has K = tag or tag + separator + ..., and '~' is no separator), never an ordering index (it does
    /// not end in '}'); in the tag's slot.
    /// </summary>
    public static byte[] VersionKey(ReadOnlySpan<byte> tag)
    {
        ReadOnlySpan<byte> suffix = "~version"u8;
        var result = new byte[2 * tag.Length + 2 + suffix.Length];
        result[0] = (byte)'{';
        tag.CopyTo(result.AsSpan(1));
        result[tag.Length + 1] = (byte)'}';
        tag.CopyTo(result.AsSpan(tag.Length + 2));
        suffix.CopyTo(result.AsSpan(2 * tag.Length + 2));
        return result;
    }

    /// <summary>The version counter of the tag of <paramref name="key"/>.</summary>
    public static byte[] VersionKeyOf(ReadOnlySpan<byte> key) => VersionKey(key[..TagLength(key)]);

    /// <summary>The ordering index of the tag of <paramref name="keyOrPrefix"/>.</summary>
    public static byte[] IndexKeyOf(ReadOnlySpan<byte> keyOrPrefix) => IndexKey(keyOrPrefix[..TagLength(keyOrPrefix)]);

    /// <summary>If <paramref name="redisKey"/> is an ordering index (<c>{tag}</c>), its tag.</summary>
    public static bool TryParseIndexKey(ReadOnlySpan<byte> redisKey, out ReadOnlySpan<byte> tag)
    {
        tag = default;
        if (redisKey.Length < 2 || redisKey[0] != (byte)'{' || redisKey[^1] != (byte)'}') return false;
        var inner = redisKey[1..^1];
        if (inner.IndexOfAny(Separators) >= 0) return false;
        tag = inner;
        return true;
    }
}
