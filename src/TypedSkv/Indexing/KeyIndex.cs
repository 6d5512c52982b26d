namespace TypedSkv.Indexing;

/// <summary>Where a live value sits in the data file. The key is held by the index itself.</summary>
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential, Pack = 4)]
internal readonly record struct IndexEntry(long Offset, int ValueLength); // 12 bytes, not 16

/// <summary>
/// A persistent (copy-on-write) B+tree from key bytes to <see cref="IndexEntry"/>, ordered by unsigned byte
/// comparison. Readers walk a published root without locks: a published node is never changed again.
/// A writer passes an edit token; nodes it created under the same token are changed in place, which makes a
/// large batch cost about what a mutable tree would, and a batch becomes visible only when its root is published.
/// Underfull nodes are not merged (empty ones are removed): compaction rebuilds the tree densely.
/// </summary>
internal static class KeyIndex
{
    internal const int LeafCapacity = 32;
    internal const int BranchCapacity = 32;

    internal abstract class Node
    {
        internal object? Owner;
        internal int Count;
    }

    /// <summary>
    /// Keys are packed back to back in one array (key i is KeyData[KeyStart[i]..KeyStart[i + 1]]): one object per
    /// leaf instead of one per key keeps the index compact, and a binary search stays inside one array.
    /// </summary>
    internal sealed class Leaf : Node
    {
        internal byte[] KeyData = null!;
        internal int[] KeyStart = null!;
        internal IndexEntry[] Values = null!;

        /// <summary>Bytes every key of the leaf shares (the common prefix of its first and last key).</summary>
        internal int Skip;

        /// <summary>
        /// Per key, the 4 bytes after <see cref="Skip"/> (big-endian, zero-padded): a binary search compares these
        /// from one small array and touches a key itself only on a tie.
        /// </summary>
        internal uint[] Hints = null!;

        internal int DataLength => KeyStart[Count];
        internal ReadOnlySpan<byte> KeyAt(int i) => KeyData.AsSpan(KeyStart[i], KeyStart[i + 1] - KeyStart[i]);
        internal ReadOnlyMemory<byte> KeyMemoryAt(int i) => KeyData.AsMemory(KeyStart[i], KeyStart[i + 1] - KeyStart[i]);
    }

    /// <summary>Keys[i] (i &gt;= 1) is the smallest key that can be in Children[i]; Keys[0] is never compared.</summary>
    internal sealed class Branch : Node
    {
        internal byte[][] Keys = null!;
        internal Node[] Children = null!;
    }

    public static Node Empty { get; } = NewLeaf(owner: null);

    private static Leaf NewLeaf(object? owner, int dataCapacity = 0) =>
        new() { Owner = owner, KeyData = new byte[dataCapacity], KeyStart = new int[LeafCapacity + 1], Values = new IndexEntry[LeafCapacity], Hints = new uint[LeafCapacity] };

    private static uint Hint(ReadOnlySpan<byte> key, int skip)
    {
        if (key.Length >= skip + 4) return System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(key[skip..]);
        uint h = 0;
        for (int i = 0; i < 4; i++) h = (h << 8) | (skip + i < key.Length ? key[skip + i] : 0u);
        return h;
    }

    /// <summary>Re-derives Skip and, when it changed, every hint; else sets only the hint at <paramref name="pos"/> (-1: none).</summary>
    private static void UpdateHints(Leaf leaf, int pos)
    {
        int skip = leaf.Count >= 2 ? leaf.KeyAt(0).CommonPrefixLength(leaf.KeyAt(leaf.Count - 1)) : 0;
        if (skip != leaf.Skip)
        {
            leaf.Skip = skip;
            for (int i = 0; i < leaf.Count; i++) leaf.Hints[i] = Hint(leaf.KeyAt(i), skip);
        }
        else if (pos >= 0)
        {
            leaf.Hints[pos] = Hint(leaf.KeyAt(pos), skip);
        }
    }

    private static void RecomputeHints(Leaf leaf)
    {
        leaf.Skip = leaf.Count >= 2 ? leaf.KeyAt(0).CommonPrefixLength(leaf.KeyAt(leaf.Count - 1)) : 0;
        for (int i = 0; i < leaf.Count; i++) leaf.Hints[i] = Hint(leaf.KeyAt(i), leaf.Skip);
    }

    private static Branch NewBranch(object? owner) =>
        new() { Owner = owner, Keys = new byte[BranchCapacity][], Children = new Node[BranchCapacity] };

    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>Index of the first key &gt;= <paramref name="key"/> in a leaf; sets found when equal.</summary>
    private static int LowerBound(Leaf leaf, ReadOnlySpan<byte> key, out bool found)
    {
        found = false;
        int n = leaf.Count;
        if (n == 0) return 0;
        int skip = leaf.Skip;
        if (skip > 0)
        {
            // outside the shared prefix the answer is one end of the leaf
            int p = Compare(key.Length >= skip ? key[..skip] : key, leaf.KeyAt(0)[..skip]);
            if (p < 0) return 0;
            if (p > 0) return n;
        }
        uint q = Hint(key, skip);
        uint[] hints = leaf.Hints;
        byte[] data = leaf.KeyData;
        int[] start = leaf.KeyStart;
        int lo = 0, hi = n - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            uint h = hints[mid];
            int c = h < q ? -1 : h > q ? 1 : Compare(data.AsSpan(start[mid], start[mid + 1] - start[mid]), key);
            if (c == 0) { found = true; return mid; }
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return lo;
    }

    /// <summary>Which child of a branch may hold <paramref name="key"/>.</summary>
    private static int ChildIndex(Branch branch, ReadOnlySpan<byte> key)
    {
        int lo = 1, hi = branch.Count - 1;
        byte[][] keys = branch.Keys;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Compare(keys[mid], key);
            if (c == 0) return mid;
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        return lo - 1;
    }

    public static bool TryFind(Node root, ReadOnlySpan<byte> key, out IndexEntry entry)
    {
        Node node = root;
        while (node is Branch branch)
        {
            node = branch.Children[ChildIndex(branch, key)];
        }
        var leaf = (Leaf)node;
        int pos = LowerBound(leaf, key, out bool found);
        entry = found ? leaf.Values[pos] : default;
        return found;
    }

    private static Branch Writable(Branch branch, object owner)
    {
        if (ReferenceEquals(branch.Owner, owner)) return branch;
        var b = NewBranch(owner);
        b.Count = branch.Count;
        Array.Copy(branch.Keys, b.Keys, branch.Count);
        Array.Copy(branch.Children, b.Children, branch.Count);
        return b;
    }

    /// <summary>A leaf this edit may change, with room for <paramref name="extraBytes"/> more key bytes.</summary>
    private static Leaf Writable(Leaf leaf, object owner, int extraBytes)
    {
        int used = leaf.DataLength;
        if (ReferenceEquals(leaf.Owner, owner))
        {
            if (leaf.KeyData.Length - used < extraBytes)
            {
                // an edit that keeps inserting into its own leaf (a batch) grows it geometrically
                var grown = new byte[Math.Max(used + extraBytes, used * 3 / 2 + 16)];
                Array.Copy(leaf.KeyData, grown, used);
                leaf.KeyData = grown;
            }
            return leaf;
        }
        // copy-on-write: exactly the room needed, so published leaves carry no slack
        var copy = NewLeaf(owner, used + extraBytes);
        copy.Count = leaf.Count;
        Array.Copy(leaf.KeyData, copy.KeyData, used);
        Array.Copy(leaf.KeyStart, copy.KeyStart, leaf.Count + 1);
        Array.Copy(leaf.Values, copy.Values, leaf.Count);
        Array.Copy(leaf.Hints, copy.Hints, leaf.Count);
        copy.Skip = leaf.Skip;
        return copy;
    }

    private static void InsertKey(Leaf w, int pos, ReadOnlySpan<byte> key, IndexEntry entry)
    {
        int at = w.KeyStart[pos], len = key.Length, end = w.KeyStart[w.Count];
        Array.Copy(w.KeyData, at, w.KeyData, at + len, end - at);
        key.CopyTo(w.KeyData.AsSpan(at));
        for (int i = w.Count; i >= pos; i--) w.KeyStart[i + 1] = w.KeyStart[i] + len;
        w.KeyStart[pos] = at;
        InsertAt(w.Values, w.Count, pos, entry);
        InsertAt(w.Hints, w.Count, pos, 0u);
        w.Count++;
        UpdateHints(w, pos);
    }

    private static void RemoveKey(Leaf w, int pos)
    {
        int at = w.KeyStart[pos], len = w.KeyStart[pos + 1] - at, end = w.KeyStart[w.Count];
        Array.Copy(w.KeyData, at + len, w.KeyData, at, end - at - len);
        for (int i = pos + 1; i < w.Count; i++) w.KeyStart[i] = w.KeyStart[i + 1] - len;
        RemoveAt(w.Values, w.Count, pos);
        RemoveAt(w.Hints, w.Count, pos);
        w.Count--;
        UpdateHints(w, -1);
    }

    /// <summary>A new leaf holding entries [from, to) of <paramref name="src"/>, with room for one more key.</summary>
    private static Leaf Slice(Leaf src, int from, int to, object owner, int extraBytes)
    {
        int a = src.KeyStart[from], b = src.KeyStart[to];
        var leaf = NewLeaf(owner, b - a + extraBytes);
        Array.Copy(src.KeyData, a, leaf.KeyData, 0, b - a);
        for (int i = from; i <= to; i++) leaf.KeyStart[i - from] = src.KeyStart[i] - a;
        Array.Copy(src.Values, from, leaf.Values, 0, to - from);
        leaf.Count = to - from;
        RecomputeHints(leaf);
        return leaf;
    }

    /// <summary>Inserts or replaces; returns the new root. The key bytes are copied into the tree.</summary>
    public static Node Set(Node root, ReadOnlySpan<byte> key, IndexEntry entry, object owner, out IndexEntry? previous)
    {
        previous = null;
        Node result = SetIn(root, key, entry, owner, ref previous, out Node? right, out byte[]? rightMin);
        if (right is null) return result;
        var newRoot = NewBranch(owner);
        newRoot.Count = 2;
        newRoot.Keys[0] = [];
        newRoot.Children[0] = result;
        newRoot.Keys[1] = rightMin!;
        newRoot.Children[1] = right;
        return newRoot;
    }

    private static Node SetIn(Node node, ReadOnlySpan<byte> key, IndexEntry entry, object owner, ref IndexEntry? previous,
        out Node? right, out byte[]? rightMin)
    {
        right = null;
        rightMin = null;
        if (node is Leaf leaf)
        {
            int pos = LowerBound(leaf, key, out bool found);
            if (found)
            {
                previous = leaf.Values[pos];
                var w = Writable(leaf, owner, 0);
                w.Values[pos] = entry;
                return w;
            }
            if (leaf.Count < LeafCapacity)
            {
                var w = Writable(leaf, owner, key.Length);
                InsertKey(w, pos, key, entry);
                return w;
            }
            // Split: left keeps the lower half. Sequential inserts (pos at the end) split unevenly so that
            // bulk loads in key order fill leaves instead of leaving them half empty.
            int keep = pos == LeafCapacity ? LeafCapacity - 1 : LeafCapacity / 2;
            var l = Slice(leaf, 0, keep, owner, pos <= keep ? key.Length : 0);
            var r = Slice(leaf, keep, leaf.Count, owner, pos > keep ? key.Length : 0);
            if (pos <= keep) InsertKey(l, pos, key, entry);
            else InsertKey(r, pos - keep, key, entry);
            right = r;
            rightMin = r.KeyAt(0).ToArray();
            return l;
        }

        var branch = (Branch)node;
        int i = ChildIndex(branch, key);
        Node child = branch.Children[i];
        Node newChild = SetIn(child, key, entry, owner, ref previous, out Node? childRight, out byte[]? childRightMin);
        var wb = Writable(branch, owner);
        wb.Children[i] = newChild;
        if (childRight is null) return wb;

        if (wb.Count < BranchCapacity)
        {
            InsertAt(wb.Keys, wb.Count, i + 1, childRightMin!);
            InsertAt(wb.Children, wb.Count, i + 1, childRight);
            wb.Count++;
            return wb;
        }
        int at = i + 1;
        int keepB = at == BranchCapacity ? BranchCapacity - 1 : BranchCapacity / 2;
        var rb = NewBranch(owner);
        int movedB = wb.Count - keepB;
        Array.Copy(wb.Keys, keepB, rb.Keys, 0, movedB);
        Array.Copy(wb.Children, keepB, rb.Children, 0, movedB);
        Array.Clear(wb.Keys, keepB, movedB);
        Array.Clear(wb.Children, keepB, movedB);
        rb.Count = movedB;
        wb.Count = keepB;
        if (at <= keepB)
        {
            InsertAt(wb.Keys, wb.Count, at, childRightMin!);
            InsertAt(wb.Children, wb.Count, at, childRight);
            wb.Count++;
        }
        else
        {
            InsertAt(rb.Keys, rb.Count, at - keepB, childRightMin!);
            InsertAt(rb.Children, rb.Count, at - keepB, childRight);
            rb.Count++;
        }
        right = rb;
        rightMin = rb.Keys[0];
        return wb;
    }

    /// <summary>Removes a key; returns the new root (the same root when the key was absent).</summary>
    public static Node Remove(Node root, ReadOnlySpan<byte> key, object owner, out IndexEntry? removed)
    {
        removed = null;
        Node? result = RemoveIn(root, key, owner, ref removed);
        if (result is null) return Empty;
        while (result is Branch { Count: 1 } single) result = single.Children[0];
        return result;
    }

    private static Node? RemoveIn(Node node, ReadOnlySpan<byte> key, object owner, ref IndexEntry? removed)
    {
        if (node is Leaf leaf)
        {
            int pos = LowerBound(leaf, key, out bool found);
            if (!found) return leaf;
            removed = leaf.Values[pos];
            if (leaf.Count == 1) return null;
            var w = Writable(leaf, owner, 0);
            RemoveKey(w, pos);
            return w;
        }
        var branch = (Branch)node;
        int i = ChildIndex(branch, key);
        Node child = branch.Children[i];
        Node? newChild = RemoveIn(child, key, owner, ref removed);
        if (ReferenceEquals(newChild, child)) return branch;
        if (newChild is null && branch.Count == 1) return null;
        var wb = Writable(branch, owner);
        if (newChild is null)
        {
            RemoveAt(wb.Keys, wb.Count, i);
            RemoveAt(wb.Children, wb.Count, i);
            wb.Count--;
        }
        else
        {
            wb.Children[i] = newChild;
        }
        return wb;
    }

    private static void InsertAt<T>(T[] array, int count, int pos, T item)
    {
        if (pos < count) Array.Copy(array, pos, array, pos + 1, count - pos);
        array[pos] = item;
    }

    private static void RemoveAt<T>(T[] array, int count, int pos)
    {
        if (pos < count - 1) Array.Copy(array, pos + 1, array, pos, count - pos - 1);
        array[count - 1] = default!;
    }

    /// <summary>
    /// Builds a dense tree from entries in ascending key order: full leaves with exactly sized key arrays. Used after
    /// a replay or a compaction, whose trees grew by random inserts and carry half-empty nodes.
    /// </summary>
    public static Node Build(IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> sorted)
    {
        var level = new List<(Node Node, byte[] MinKey)>();
        var keys = new List<ReadOnlyMemory<byte>>(LeafCapacity);
        var values = new List<IndexEntry>(LeafCapacity);
        void FlushLeaf()
        {
            if (keys.Count == 0) return;
            int bytes = 0;
            foreach (var k in keys) bytes += k.Length;
            var leaf = NewLeaf(null, bytes);
            int at = 0;
            for (int i = 0; i < keys.Count; i++)
            {
                leaf.KeyStart[i] = at;
                keys[i].Span.CopyTo(leaf.KeyData.AsSpan(at));
                at += keys[i].Length;
                leaf.Values[i] = values[i];
            }
            leaf.KeyStart[keys.Count] = at;
            leaf.Count = keys.Count;
            RecomputeHints(leaf);
            level.Add((leaf, leaf.KeyAt(0).ToArray()));
            keys.Clear();
            values.Clear();
        }
        foreach (var (key, entry) in sorted)
        {
            keys.Add(key);
            values.Add(entry);
            if (keys.Count == LeafCapacity) FlushLeaf();
        }
        FlushLeaf();
        if (level.Count == 0) return Empty;
        while (level.Count > 1)
        {
            var next = new List<(Node Node, byte[] MinKey)>((level.Count + BranchCapacity - 1) / BranchCapacity);
            for (int i = 0; i < level.Count; i += BranchCapacity)
            {
                var branch = NewBranch(null);
                int n = Math.Min(BranchCapacity, level.Count - i);
                for (int j = 0; j < n; j++)
                {
                    branch.Children[j] = level[i + j].Node;
                    branch.Keys[j] = j == 0 ? [] : level[i + j].MinKey;
                }
                branch.Count = n;
                next.Add((branch, level[i].MinKey));
            }
            level = next;
        }
        return level[0].Node;
    }

    /// <summary>
    /// Walks keys in order from <paramref name="from"/> (inclusive, null = first) while they are below
    /// <paramref name="to"/> (exclusive, null = no end). Cost O(log n + items visited).
    /// </summary>
    public static IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> Range(Node root, byte[]? from, byte[]? to)
    {
        var stack = new Stack<(Branch Branch, int Index)>();
        Node node = root;
        while (node is Branch b)
        {
            int i = from is null ? 0 : ChildIndex(b, from);
            stack.Push((b, i));
            node = b.Children[i];
        }
        var leaf = (Leaf)node;
        int pos = from is null ? 0 : LowerBound(leaf, from, out _);
        while (true)
        {
            for (; pos < leaf.Count; pos++)
            {
                var key = leaf.KeyMemoryAt(pos);
                if (to is not null && Compare(key.Span, to) >= 0) yield break;
                yield return (key, leaf.Values[pos]);
            }
            // climb to the next branch that has a child to the right, then go down its leftmost path
            while (true)
            {
                if (stack.Count == 0) yield break;
                var (b, i) = stack.Pop();
                if (i + 1 < b.Count)
                {
                    stack.Push((b, i + 1));
                    node = b.Children[i + 1];
                    break;
                }
            }
            while (node is Branch b2)
            {
                stack.Push((b2, 0));
                node = b2.Children[0];
            }
            leaf = (Leaf)node;
            pos = 0;
        }
    }

    /// <summary>The key range [from, to) of every key starting with <paramref name="prefix"/> (null: unbounded).</summary>
    public static (byte[]? From, byte[]? To) PrefixBounds(ReadOnlySpan<byte> prefix) =>
        prefix.IsEmpty ? (null, null) : (prefix.ToArray(), PrefixEnd(prefix));

    /// <summary>Smallest key greater than every key starting with <paramref name="prefix"/>; null when none exists (all 0xFF).</summary>
    public static byte[]? PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        int i = prefix.Length - 1;
        while (i >= 0 && prefix[i] == 0xFF) i--;
        if (i < 0) return null;
        var end = prefix[..(i + 1)].ToArray();
        end[i]++;
        return end;
    }
}
