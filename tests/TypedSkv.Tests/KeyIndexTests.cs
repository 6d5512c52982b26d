using TypedSkv.Indexing;

namespace TypedSkv.Tests;

public sealed class KeyIndexTests
{
    private static byte[] K(int i) => BitConverter.GetBytes(i).Reverse().ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(123)]
    public void Random_operations_match_a_sorted_dictionary_model(int seed)
    {
        var rnd = new Random(seed);
        var model = new SortedDictionary<int, long>();
        KeyIndex.Node root = KeyIndex.Empty;
        for (int i = 0; i < 20_000; i++)
        {
            int k = rnd.Next(3000);
            var owner = rnd.Next(4) == 0 ? new object() : null;
            if (rnd.Next(3) > 0)
            {
                root = KeyIndex.Set(root, K(k), new IndexEntry(i, 1), owner ?? new object(), out var prev);
                Assert.Equal(model.ContainsKey(k), prev is not null);
                model[k] = i;
            }
            else
            {
                root = KeyIndex.Remove(root, K(k), owner ?? new object(), out var removed);
                Assert.Equal(model.Remove(k), removed is not null);
            }
        }
        var all = KeyIndex.Range(root, null, null).Select(x => (Convert.ToHexString(x.Key.Span), x.Entry.Offset)).ToList();
        Assert.Equal(model.Select(kv => (Convert.ToHexString(K(kv.Key)), kv.Value)).ToList(), all);
        foreach (var (k, v) in model)
        {
            Assert.True(KeyIndex.TryFind(root, K(k), out var e));
            Assert.Equal(v, e.Offset);
        }
        // every range [a, b) agrees with the model
        for (int t = 0; t < 200; t++)
        {
            int a = rnd.Next(3100), b = a + rnd.Next(400);
            var got = KeyIndex.Range(root, K(a), K(b)).Select(x => x.Entry.Offset).ToList();
            Assert.Equal(model.Where(kv => kv.Key >= a && kv.Key < b).Select(kv => kv.Value).ToList(), got);
        }
    }

    [Fact]
    public void An_old_root_is_unchanged_by_later_writes()
    {
        KeyIndex.Node root = KeyIndex.Empty;
        var owner = new object();
        for (int i = 0; i < 1000; i++) root = KeyIndex.Set(root, K(i), new IndexEntry(i, 0), owner, out _);
        var frozen = root;
        var before = KeyIndex.Range(frozen, null, null).Select(x => x.Entry.Offset).ToList();
        for (int i = 0; i < 2000; i += 2)
        {
            root = KeyIndex.Set(root, K(i), new IndexEntry(-i, 0), new object(), out _);
            root = KeyIndex.Remove(root, K(i + 1), new object(), out _);
        }
        Assert.Equal(before, KeyIndex.Range(frozen, null, null).Select(x => x.Entry.Offset).ToList());
        Assert.Equal(1000, KeyIndex.Range(root, null, null).Count());
    }

    [Fact]
    public void Removing_every_key_leaves_an_empty_tree()
    {
        KeyIndex.Node root = KeyIndex.Empty;
        for (int i = 0; i < 5000; i++) root = KeyIndex.Set(root, K(i), new IndexEntry(i, 0), new object(), out _);
        for (int i = 4999; i >= 0; i -= 1) root = KeyIndex.Remove(root, K(i), new object(), out _);
        Assert.Empty(KeyIndex.Range(root, null, null));
        Assert.False(KeyIndex.TryFind(root, K(1), out _));
    }

    [Fact]
    public void PrefixEnd_is_the_first_key_after_the_prefix()
    {
        Assert.Equal(new byte[] { 0x62 }, KeyIndex.PrefixEnd("a"u8));
        Assert.Equal(new byte[] { 0x61, 0x01 }, KeyIndex.PrefixEnd(new byte[] { 0x61, 0x00 }));
        Assert.Equal(new byte[] { 0x62 }, KeyIndex.PrefixEnd(new byte[] { 0x61, 0xFF }));
        Assert.Null(KeyIndex.PrefixEnd(new byte[] { 0xFF, 0xFF }));
    }

    [Theory]
    [InlineData(11)]
    [InlineData(12)]
    public void Keys_of_mixed_lengths_in_batches_and_single_edits_match_a_model(int seed)
    {
        var rnd = new Random(seed);
        var model = new SortedDictionary<string, long>(StringComparer.Ordinal);
        KeyIndex.Node root = KeyIndex.Empty;
        object? batch = null;
        for (int i = 0; i < 30_000; i++)
        {
            if (i % 500 == 0) batch = rnd.Next(2) == 0 ? new object() : null; // alternate bulk and single edits
            int len = rnd.Next(10) == 0 ? rnd.Next(200, 1025) : rnd.Next(1, 24);
            string k = new string((char)('a' + rnd.Next(3)), 1) + rnd.Next(2000).ToString("D4").PadRight(len, (char)('a' + len % 26));
            byte[] key = System.Text.Encoding.ASCII.GetBytes(k);
            var owner = batch ?? new object();
            if (rnd.Next(4) > 0)
            {
                root = KeyIndex.Set(root, key, new IndexEntry(i, len), owner, out var prev);
                Assert.Equal(model.ContainsKey(k), prev is not null);
                model[k] = i;
            }
            else
            {
                root = KeyIndex.Remove(root, key, owner, out var removed);
                Assert.Equal(model.Remove(k), removed is not null);
            }
        }
        var all = KeyIndex.Range(root, null, null).Select(x => (System.Text.Encoding.ASCII.GetString(x.Key.Span), x.Entry.Offset)).ToList();
        Assert.Equal(model.Select(kv => (kv.Key, kv.Value)).ToList(), all);
        foreach (var (k, v) in model)
        {
            Assert.True(KeyIndex.TryFind(root, System.Text.Encoding.ASCII.GetBytes(k), out var e));
            Assert.Equal(v, e.Offset);
        }
        var prefixed = KeyIndex.Range(root, "b"u8.ToArray(), KeyIndex.PrefixEnd("b"u8)).Select(x => System.Text.Encoding.ASCII.GetString(x.Key.Span)).ToList();
        Assert.Equal(model.Keys.Where(k => k.StartsWith('b')).ToList(), prefixed);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(33)]
    [InlineData(1025)]
    [InlineData(40_000)]
    public void Build_from_sorted_entries_gives_a_tree_that_reads_and_edits_like_any_other(int count)
    {
        var entries = Enumerable.Range(0, count).Select(i => ((ReadOnlyMemory<byte>)K(i * 2), new IndexEntry(i, i % 7))).ToList();
        var root = KeyIndex.Build(entries);
        Assert.Equal(entries.Select(e => (Convert.ToHexString(e.Item1.Span), e.Item2)),
            KeyIndex.Range(root, null, null).Select(x => (Convert.ToHexString(x.Key.Span), x.Entry)));
        for (int i = 0; i < count; i += Math.Max(1, count / 100))
        {
            Assert.True(KeyIndex.TryFind(root, K(i * 2), out var e));
            Assert.Equal(i, e.Offset);
            Assert.False(KeyIndex.TryFind(root, K(i * 2 + 1), out _));
        }
        // edits on the built (frozen) tree copy what they touch and leave it as it was
        var edited = root;
        for (int i = 0; i < count; i += 3) edited = KeyIndex.Set(edited, K(i * 2 + 1), new IndexEntry(-i, 0), new object(), out _);
        for (int i = 0; i < count; i += 5) edited = KeyIndex.Remove(edited, K(i * 2), new object(), out _);
        Assert.Equal(count, KeyIndex.Range(root, null, null).Count());
        int expected = count + (count + 2) / 3 - (count + 4) / 5;
        Assert.Equal(expected, KeyIndex.Range(edited, null, null).Count());
        var keys = KeyIndex.Range(edited, null, null).Select(x => Convert.ToHexString(x.Key.Span)).ToList();
        Assert.Equal(keys.OrderBy(k => k, StringComparer.Ordinal), keys);
    }

    [Fact]
    public void Keys_that_differ_only_in_trailing_zero_bytes_and_shared_prefixes_stay_ordered_and_found()
    {
        // zero bytes are where a key's 4-byte search hint is padded: "P", "P\0", "P\0\0" all hint alike
        var rnd = new Random(21);
        var model = new SortedDictionary<string, long>(StringComparer.Ordinal);
        KeyIndex.Node root = KeyIndex.Empty;
        byte[] alphabet = [0x00, 0x01, 0x7F, 0xFF];
        for (int i = 0; i < 40_000; i++)
        {
            int prefix = rnd.Next(3) switch { 0 => 0, 1 => 6, _ => 11 };
            var key = new byte[prefix + rnd.Next(1, 7)];
            for (int j = 0; j < prefix; j++) key[j] = (byte)'p';
            for (int j = prefix; j < key.Length; j++) key[j] = alphabet[rnd.Next(alphabet.Length)];
            string k = Convert.ToHexString(key);
            if (rnd.Next(5) > 0)
            {
                root = KeyIndex.Set(root, key, new IndexEntry(i, 0), new object(), out var prev);
                Assert.Equal(model.ContainsKey(k), prev is not null);
                model[k] = i;
            }
            else
            {
                root = KeyIndex.Remove(root, key, new object(), out var removed);
                Assert.Equal(model.Remove(k), removed is not null);
            }
        }
        Assert.Equal(model.Keys.ToList(), KeyIndex.Range(root, null, null).Select(x => Convert.ToHexString(x.Key.Span)).ToList());
        foreach (var (k, v) in model)
        {
            Assert.True(KeyIndex.TryFind(root, Convert.FromHexString(k), out var e), k);
            Assert.Equal(v, e.Offset);
        }
        var rebuilt = KeyIndex.Build(KeyIndex.Range(root, null, null));
        foreach (var (k, _) in model) Assert.True(KeyIndex.TryFind(rebuilt, Convert.FromHexString(k), out _));
        // absent keys right next to present ones: shorter, longer by a zero byte, below the shared prefix
        foreach (var k in model.Keys.Take(500))
        {
            byte[] b = Convert.FromHexString(k);
            byte[] longer = [.. b, 0x00];
            Assert.Equal(model.ContainsKey(Convert.ToHexString(longer)), KeyIndex.TryFind(root, longer, out _));
            if (b.Length > 1) Assert.Equal(model.ContainsKey(Convert.ToHexString(b[..^1])), KeyIndex.TryFind(root, b[..^1], out _));
        }
    }
}
