namespace TypedSkv.Backup;

/// <summary>Which records a partial restore takes: exact keys and key prefixes (any match); none given = all.</summary>
internal sealed class RestoreSelection
{
    private readonly byte[][] _keys;
    private readonly byte[][] _prefixes;

    public RestoreSelection(RestoreOptions options)
    {
        _keys = [.. options.Keys ?? []];
        _prefixes = [.. options.Prefixes ?? []];
        if (_keys.Any(k => k.Length == 0)) throw new ArgumentException("a selected key is empty", nameof(options));
    }

    public bool All => _keys.Length == 0 && _prefixes.Length == 0;

    public bool Includes(ReadOnlySpan<byte> key)
    {
        if (All) return true;
        foreach (byte[] k in _keys)
            if (key.SequenceEqual(k)) return true;
        foreach (byte[] p in _prefixes)
            if (key.StartsWith(p)) return true;
        return false;
    }

    /// <summary>The selected keys of a view: all of it, or each prefix's range and each key.</summary>
    public IEnumerable<SkvEntry> Scan(ISkvReadView view)
    {
        if (All)
        {
            foreach (var e in view.ScanPrefix([])) yield return e;
            yield break;
        }
        // a key can fall under several prefixes or also be named: yield each once
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (byte[] p in _prefixes)
        {
            foreach (var e in view.ScanPrefix(p))
                if (seen.Add(Convert.ToBase64String(e.Key.Span))) yield return e;
        }
        foreach (byte[] k in _keys)
        {
            var (from, to) = SkvStore.PrefixRange(k);
            foreach (var e in view.ScanRange(from, to))
            {
                if (e.Key.Span.SequenceEqual(k) && seen.Add(Convert.ToBase64String(k))) yield return e;
                break;
            }
        }
    }
}
