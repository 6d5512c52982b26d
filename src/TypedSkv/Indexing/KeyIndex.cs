namespace TypedSkv.Indexing;

/// <summary>Where a live value sits in the data file. The key is held by the index itself.</summary>
internal readonly record struct IndexEntry(long Offset, int ValueLength);

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
        internal byte[][] Keys = null!;
    }

    internal sealed class Leaf : Node
    {
        internal IndexEntry[] Values = null!;
    }

    /// <summary>Keys[i] (i &gt;= 1) is the smallest key that can be in Children[i]; Keys[0] is never compared.</summary>
    internal sealed class Branch : Node
    {
        internal Node[] Children = null!;
    }

    public static Node Empty { get; } = NewLeaf(owner: null);

    private static Leaf NewLeaf(object? owner) =>
        new() { Owner = owner, Keys = new byte[LeafCapacity][], Values = new IndexEntry[LeafCapacity] };

    private static Branch NewBranch(object? owner) =>
        new() { Owner = owner, Keys = new byte[BranchCapacity][], Children = new Node[BranchCapacity] };

    public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceCompareTo(b);

    /// <summary>Index of the first key &gt;= <paramref name="key"/> in a leaf; sets found when equal.</summary>
    private static int LowerBound(Node node, ReadOnlySpan<byte> key, out bool found)
    {
        int lo = 0, hi = node.Count - 1;
        byte[][] keys = node.Keys;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            int c = Compare(keys[mid], key);
            if (c == 0) { found = true; return mid; }
            if (c < 0) lo = mid + 1; else hi = mid - 1;
        }
        found = false;
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

    private static T Writable<T>(T node, object owner) where T : Node
    {
        if (ReferenceEquals(node.Owner, owner)) return node;
        if (node is Leaf leaf)
        {
            var copy = NewLeaf(owner);
            copy.Count = leaf.Count;
            Array.Copy(leaf.Keys, copy.Keys, leaf.Count);
            Array.Copy(leaf.Values, copy.Values, leaf.Count);
            return (T)(Node)copy;
        }
        var branch = (Branch)(Node)node;
        var b = NewBranch(owner);
        b.Count = branch.Count;
        Array.Copy(branch.Keys, b.Keys, branch.Count);
        Array.Copy(branch.Children, b.Children, branch.Count);
        return (T)(Node)b;
    }

    /// <summary>Inserts or replaces; returns the new root. <paramref name="key"/> is kept by the tree (not copied).</summary>
    public static Node Set(Node root, byte[] key, IndexEntry entry, object owner, out IndexEntry? previous)
    {
        previous = null;
        Node result = SetIn(root, key, entry, owner, ref previous, out Node? right, out byte[]? rightMin);
        if (right is null) return result;
        var newRoot = NewBranch(owner);
        newRoot.Count = 2;
        newRoot.Keys[0] = FirstKey(result);
        newRoot.Children[0] = result;
        newRoot.Keys[1] = rightMin!;
        newRoot.Children[1] = right;
        return newRoot;
    }

    private static byte[] FirstKey(Node node)
    {
        while (node is Branch b) node = b.Children[0];
        return node.Keys[0];
    }

    private static Node SetIn(Node node, byte[] key, IndexEntry entry, object owner, ref IndexEntry? previous,
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
                var w = Writable(leaf, owner);
                w.Keys[pos] = key;
                w.Values[pos] = entry;
                return w;
            }
            if (leaf.Count < LeafCapacity)
            {
                var w = Writable(leaf, owner);
                InsertAt(w.Keys, w.Count, pos, key);
                InsertAt(w.Values, w.Count, pos, entry);
                w.Count++;
                return w;
            }
            // Split: left keeps the lower half. Sequential inserts (pos at the end) split unevenly so that
            // bulk loads in key order fill leaves instead of leaving them half empty.
            int keep = pos == LeafCapacity ? LeafCapacity - 1 : LeafCapacity / 2;
            var l = Writable(leaf, owner);
            var r = NewLeaf(owner);
            int moved = l.Count - keep;
            Array.Copy(l.Keys, keep, r.Keys, 0, moved);
            Array.Copy(l.Values, keep, r.Values, 0, moved);
            Array.Clear(l.Keys, keep, moved);
            r.Count = moved;
            l.Count = keep;
            if (pos <= keep)
            {
                InsertAt(l.Keys, l.Count, pos, key);
                InsertAt(l.Values, l.Count, pos, entry);
                l.Count++;
            }
            else
            {
                InsertAt(r.Keys, r.Count, pos - keep, key);
                InsertAt(r.Values, r.Count, pos - keep, entry);
                r.Count++;
            }
            right = r;
            rightMin = r.Keys[0];
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
            var w = Writable(leaf, owner);
            RemoveAt(w.Keys, w.Count, pos);
            RemoveAt(w.Values, w.Count, pos);
            w.Count--;
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
    /// Walks keys in order from <paramref name="from"/> (inclusive, null = first) while they are below
    /// <paramref name="to"/> (exclusive, null = no end). Cost O(log n + items visited).
    /// </summary>
    public static IEnumerable<(byte[] Key, IndexEntry Entry)> Range(Node root, byte[]? from, byte[]? to)
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
                byte[] key = leaf.Keys[pos];
                if (to is not null && Compare(key, to) >= 0) yield break;
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
