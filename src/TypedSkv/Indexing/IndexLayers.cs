using TypedSkv.Storage;

namespace TypedSkv.Indexing;

/// <summary>
/// The key index as layers, newest first: <see cref="Active"/> (writes since the last checkpoint began),
/// <see cref="Frozen"/> (writes being merged into a new checkpoint right now, or null) and <see cref="Base"/> (the
/// memory-mapped checkpoint, or null). A key's newest layer decides; a delete over an older layer is a tombstone
/// (<see cref="Tombstone"/>). Immutable: every write makes a new value (the overlays are copy-on-write trees).
/// </summary>
internal sealed record IndexLayers(Checkpoint? Base, KeyIndex.Node? Frozen, KeyIndex.Node Active, long ActiveEntries)
{
    /// <summary>Value length marking a deleted key in an overlay.</summary>
    public const int TombstoneLength = -1;
    public static readonly IndexEntry Tombstone = new(0, TombstoneLength);

    public static IndexLayers Over(Checkpoint? checkpoint) => new(checkpoint, null, KeyIndex.Empty, 0);

    public bool TryFind(ReadOnlySpan<byte> key, out IndexEntry entry)
    {
        if (KeyIndex.TryFind(Active, key, out entry)) return entry.ValueLength >= 0;
        return TryFindBelowActive(key, out entry);
    }

    private bool TryFindBelowActive(ReadOnlySpan<byte> key, out IndexEntry entry)
    {
        if (Frozen is not null && KeyIndex.TryFind(Frozen, key, out entry)) return entry.ValueLength >= 0;
        if (Base is not null) return Base.TryFind(key, out entry);
        entry = default;
        return false;
    }

    private bool HasLowerLayers => Frozen is not null || Base is not null;

    /// <summary>Inserts or replaces; <paramref name="previous"/> is the live entry it replaces in any layer.</summary>
    public IndexLayers Put(ReadOnlySpan<byte> key, IndexEntry entry, object owner, out IndexEntry? previous)
    {
        var active = KeyIndex.Set(Active, key, entry, owner, out var inActive);
        if (inActive is { } a) previous = a.ValueLength >= 0 ? a : null;
        else previous = TryFindBelowActive(key, out var lower) ? lower : null;
        return this with { Active = active, ActiveEntries = inActive is null ? ActiveEntries + 1 : ActiveEntries };
    }

    /// <summary>Deletes; <paramref name="removed"/> is the live entry it removes, null (and no change) when there was none.</summary>
    public IndexLayers Delete(ReadOnlySpan<byte> key, object owner, out IndexEntry? removed)
    {
        if (!TryFind(key, out var live))
        {
            removed = null;
            return this;
        }
        removed = live;
        if (HasLowerLayers && TryFindBelowActive(key, out _))
        {
            var active = KeyIndex.Set(Active, key, Tombstone, owner, out var was);
            return this with { Active = active, ActiveEntries = was is null ? ActiveEntries + 1 : ActiveEntries };
        }
        var trimmed = KeyIndex.Remove(Active, key, owner, out var gone);
        return this with { Active = trimmed, ActiveEntries = gone is null ? ActiveEntries : ActiveEntries - 1 };
    }

    /// <summary>Every key gone: the layers below are dropped (the checkpoint stays valid for its own offset).</summary>
    public IndexLayers Clear() => new(null, null, KeyIndex.Empty, 0);

    /// <summary>Live keys in [from, to), in order: the layers merged, newest winning, tombstones dropped.</summary>
    public IEnumerable<(ReadOnlyMemory<byte> Key, IndexEntry Entry)> Range(byte[]? from, byte[]? to)
    {
        if (!HasLowerLayers)
        {
            foreach (var e in KeyIndex.Range(Active, from, to))
                if (e.Entry.ValueLength >= 0) yield return e;
            yield break;
        }
        var sources = new List<IEnumerator<(ReadOnlyMemory<byte> Key, IndexEntry Entry)>> { KeyIndex.Range(Active, from, to).GetEnumerator() };
        if (Frozen is not null) sources.Add(KeyIndex.Range(Frozen, from, to).GetEnumerator());
        if (Base is not null) sources.Add(Base.Range(from, to).GetEnumerator());
        var has = new bool[sources.Count];
        try
        {
            for (int i = 0; i < sources.Count; i++) has[i] = sources[i].MoveNext();
            while (true)
            {
                // the smallest current key; on ties the newest layer (lowest index) wins and the others skip it
                int best = -1;
                for (int i = 0; i < sources.Count; i++)
                {
                    if (!has[i]) continue;
                    if (best < 0 || KeyIndex.Compare(sources[i].Current.Key.Span, sources[best].Current.Key.Span) < 0) best = i;
                }
                if (best < 0) yield break;
                var winner = sources[best].Current;
                for (int i = 0; i < sources.Count; i++)
                {
                    if (i != best && has[i] && KeyIndex.Compare(sources[i].Current.Key.Span, winner.Key.Span) == 0)
                        has[i] = sources[i].MoveNext();
                }
                has[best] = sources[best].MoveNext();
                if (winner.Entry.ValueLength >= 0) yield return winner;
            }
        }
        finally
        {
            foreach (var s in sources) s.Dispose();
        }
    }

    /// <summary>The view a new checkpoint is written from: everything but <see cref="Active"/>.</summary>
    public IndexLayers BelowActive => new(Base, null, Frozen ?? KeyIndex.Empty, 0);

    /// <summary>The overlay rebuilt dense after a replay (full leaves, exact key arrays).</summary>
    public IndexLayers Densified() => this with { Active = KeyIndex.Build(KeyIndex.Range(Active, null, null)) };
}
