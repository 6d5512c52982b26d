using System.Text;

namespace TypedSkv.Typed.Tests;

/// <summary>SkvKeyBuilder on its own: byte order equals typed order, for random values.</summary>
public class KeyEncodingTests
{
    private static int CompareBytes(byte[] a, byte[] b) => Math.Sign(a.AsSpan().SequenceCompareTo(b));

    private static int CompareUtf8(string a, string b) => CompareBytes(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));

    private static string RandomString(Random random)
    {
        // Mostly a tiny alphabet (so prefixes and ties are common), plus the escaped bytes and non-ASCII.
        char[] alphabet = ['a', 'b', '\0', '\u0001', '\u0002', 'é', '日', '/'];
        int length = random.Next(0, 5);
        var sb = new StringBuilder();
        for (int i = 0; i < length; i++) sb.Append(alphabet[random.Next(alphabet.Length)]);
        return sb.ToString();
    }

    [Fact]
    public void Composite_string_then_int_keys_order_like_tuples()
    {
        var random = new Random(42);
        for (int n = 0; n < 5000; n++)
        {
            string s1 = RandomString(random), s2 = random.Next(3) == 0 ? s1 : RandomString(random);
            int i1 = random.Next(-3, 3), i2 = random.Next(-3, 3);
            byte[] k1 = new SkvKeyBuilder().AppendString(s1, last: false).AppendInt32(i1).ToArray();
            byte[] k2 = new SkvKeyBuilder().AppendString(s2, last: false).AppendInt32(i2).ToArray();
            int expected = CompareUtf8(s1, s2) is var c and not 0 ? c : Math.Sign(i1.CompareTo(i2));
            Assert.True(expected == CompareBytes(k1, k2), $"({Show(s1)}, {i1}) vs ({Show(s2)}, {i2})");
        }
    }

    [Fact]
    public void Two_string_parts_order_like_tuples()
    {
        var random = new Random(7);
        for (int n = 0; n < 5000; n++)
        {
            string a1 = RandomString(random), a2 = random.Next(2) == 0 ? a1 : RandomString(random);
            string b1 = RandomString(random), b2 = RandomString(random);
            byte[] k1 = new SkvKeyBuilder().AppendString(a1, last: false).AppendString(b1, last: true).ToArray();
            byte[] k2 = new SkvKeyBuilder().AppendString(a2, last: false).AppendString(b2, last: true).ToArray();
            int expected = CompareUtf8(a1, a2) is var c and not 0 ? c : CompareUtf8(b1, b2);
            Assert.True(expected == CompareBytes(k1, k2), $"({Show(a1)}, {Show(b1)}) vs ({Show(a2)}, {Show(b2)})");
        }
    }

    [Fact]
    public void Numbers_are_readable_fixed_width_text()
    {
        Assert.Equal("0000000042", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt32(42).Span));
        Assert.Equal("2147483647", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt32(int.MaxValue).Span));
        Assert.Equal("-0000000000", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt32(int.MinValue).Span));
        Assert.Equal("-2147483647", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt32(-1).Span));
        Assert.Equal("0000000000000000007", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt64(7).Span));
        Assert.Equal("-9223372036854775807", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendInt64(-1).Span));
        var guid = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        Assert.Equal("0f8fad5bd9cb469fa16570867728950e", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendGuid(guid).Span));
        Assert.Equal("a\u0001\u0001b\u0001\u0002\0", Encoding.UTF8.GetString(new SkvKeyBuilder().AppendString("a\0b\u0001", last: false).Span));
    }

    [Fact]
    public void Builder_grows_past_its_initial_capacity()
    {
        string big = new('x', 5000);
        var b = new SkvKeyBuilder(16).AppendString(big, last: false).AppendInt64(-5).AppendString(big, last: true);
        Assert.Equal(5000 + 1 + 20 + 5000, b.Length);
    }

    private static string Show(string s) => string.Concat(s.Select(c => c < ' ' ? $"\\u{(int)c:x4}" : c.ToString()));
}
