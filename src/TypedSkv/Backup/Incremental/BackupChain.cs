namespace TypedSkv.Backup.Incremental;

/// <summary>
/// A full backup and the incrementals on top of it, read together: every file is opened and its header read first
/// (kinds and the links' times are checked before a record is used), then <see cref="Next"/> merges the files in
/// key order, the latest file winning for a key, giving the chain's final state key by key. Memory: one reader per
/// file. Needs every file's records in strictly ascending key order (TypedSkv writes them so). After the last
/// record, <see cref="Finish"/> checks each file's own checks (counts, checksum) and each link's checksum.
/// Problems throw <see cref="SkvBackupException"/>.
/// </summary>
internal sealed class BackupChain : IDisposable
{
    private sealed class Member(string path, BackupInput input, BackupReader reader) : IDisposable
    {
        public string Path { get; } = path;
        public BackupInput Input { get; } = input;
        public BackupReader Reader { get; } = reader;
        public bool Has;
        public byte[] PreviousKey = new byte[Storage.RecordFormat.MaxKeyLength];
        public int PreviousLength = -1;

        public void Dispose()
        {
            Reader.Dispose();
            Input.Dispose();
        }
    }

    private readonly List<Member> _files = [];
    private int _winner = -1;
    private bool _started;
    private byte[] _currentKey = [];

    /// <summary>Files in the chain (after <c>until</c> cut it).</summary>
    public IReadOnlyList<string> Paths => _files.Select(f => f.Path).ToList();

    /// <summary>Files given that <c>until</c> left out (taken after it).</summary>
    public int Skipped { get; private set; }

    /// <summary>created_at of the last file used.</summary>
    public DateTimeOffset? CreatedAt => _files.Count > 0 ? _files[^1].Reader.CreatedAt : null;

    /// <summary>Sum of the files' sizes.</summary>
    public long Bytes => _files.Sum(f => f.Input.Length);

    public static BackupChain Open(IReadOnlyList<string> paths, BackupEncryption? encryption, long maxValueBytes, DateTimeOffset? until = null)
    {
        if (paths.Count == 0) throw new ArgumentException("a chain needs at least its full backup", nameof(paths));
        var chain = new BackupChain();
        try
        {
            for (int i = 0; i < paths.Count; i++)
            {
                string path = Path.GetFullPath(paths[i]);
                if (!File.Exists(path)) throw new FileNotFoundException($"backup file not found: {path}", path);
                var input = BackupInput.OpenFile(path, null, encryption);
                BackupReader reader;
                try
                {
                    reader = new BackupReader(path, input.Json, maxValueBytes: maxValueBytes, allowIncremental: true);
                    reader.ReadHeader();
                }
                catch
                {
                    input.Dispose();
                    throw;
                }
                var member = new Member(path, input, reader);
                if (until is { } u && reader.CreatedAt is { } t && t > u)
                {
                    member.Dispose();
                    if (i == 0) throw new SkvBackupException(path, null, null,
                        $"the full backup was taken at {BackupWriter.Timestamp(t)}, after --until {BackupWriter.Timestamp(u)}: nothing of this chain is that old");
                    chain.Skipped = paths.Count - i;
                    break;
                }
                chain._files.Add(member);
                chain.CheckHeader(i);
            }
            return chain;
        }
        catch
        {
            chain.Dispose();
            throw;
        }
    }

    private void CheckHeader(int i)
    {
        var file = _files[i].Reader;
        SkvBackupException Bad(string problem) => new(_files[i].Path, null, null, problem);
        if (i == 0)
        {
            if (file.IsIncremental || file.Base is not null)
                throw Bad("the first file of a chain must be a full backup, and this is an incremental one (its base is " + file.Base?.File + ")");
            if (file.CreatedAt is null) throw Bad("a full backup used as a chain's base needs its \"created_at\"");
            return;
        }
        if (!file.IsIncremental || file.Base is not { } link)
            throw Bad($"file {i + 1} of the chain is not an incremental backup: only the first file is a full one");
        if (file.CreatedAt is null) throw Bad("an incremental backup needs its \"created_at\"");
        var previous = _files[i - 1].Reader;
        if (link.CreatedAt != previous.CreatedAt)
            throw Bad($"broken chain: this incremental applies to {link.File} of {BackupWriter.Timestamp(link.CreatedAt)}, " +
                $"but the file before it ({Path.GetFileName(_files[i - 1].Path)}) is of {BackupWriter.Timestamp(previous.CreatedAt!.Value)}");
    }

    /// <summary>The current key (valid until the next <see cref="Next"/>).</summary>
    public ReadOnlySpan<byte> Key => _currentKey;

    /// <summary>The chain's last word on the key is a deletion.</summary>
    public bool IsDelete => _files[_winner].Reader.IsDelete;

    /// <summary>The key's final value (when not <see cref="IsDelete"/>).</summary>
    public ReadOnlySpan<byte> Value => _files[_winner].Reader.Value;

    /// <summary>Index of the file the current key's state comes from.</summary>
    public int Source => _winner;

    /// <summary>Moves to the next key of the union of the files; false at the end (then call <see cref="Finish"/>).</summary>
    public bool Next()
    {
        if (!_started)
        {
            _started = true;
            for (int i = 0; i < _files.Count; i++) Advance(i);
        }
        else
        {
            for (int i = 0; i < _files.Count; i++)
                if (_files[i].Has && _files[i].Reader.Key.SequenceEqual(_currentKey)) Advance(i);
        }
        _winner = -1;
        for (int i = 0; i < _files.Count; i++)
        {
            if (!_files[i].Has) continue;
            if (_winner < 0) { _winner = i; continue; }
            int c = _files[i].Reader.Key.SequenceCompareTo(_files[_winner].Reader.Key);
            if (c <= 0) _winner = i; // smaller key, or the same key in a later file
        }
        if (_winner < 0) return false;
        _currentKey = _files[_winner].Reader.Key.ToArray();
        return true;
    }

    private void Advance(int i)
    {
        var f = _files[i];
        f.Has = f.Reader.Next();
        if (!f.Has) return;
        if (f.Reader.RecordProblem is { } problem) throw f.Reader.Error(f.Reader.RecordIndex, problem, f.Reader.RecordOffset);
        var key = f.Reader.Key;
        if (f.PreviousLength >= 0 && key.SequenceCompareTo(f.PreviousKey.AsSpan(0, f.PreviousLength)) <= 0)
            throw f.Reader.Error(f.Reader.RecordIndex,
                "the records are not in strictly ascending key order, which a chain needs (a file not written by TypedSkv? take a new full backup with it)",
                f.Reader.RecordOffset);
        key.CopyTo(f.PreviousKey);
        f.PreviousLength = key.Length;
    }

    /// <summary>After the last key: every file's document checks, then every link's checksum.</summary>
    public void Finish()
    {
        foreach (var f in _files)
            if (f.Reader.FileProblems.Count > 0) throw f.Reader.Error(null, f.Reader.FileProblems[0]);
        for (int i = 1; i < _files.Count; i++)
        {
            var link = _files[i].Reader.Base!;
            string actual = _files[i - 1].Reader.ComputedChecksum;
            if (!string.Equals(link.Checksum, actual, StringComparison.OrdinalIgnoreCase))
                throw new SkvBackupException(_files[i].Path, null, null,
                    $"broken chain: this incremental applies to {link.File} with checksum {link.Checksum}, but the file before it ({Path.GetFileName(_files[i - 1].Path)}) has checksum {actual}");
        }
    }

    /// <summary>The link to the chain's last file, for an incremental on top of it (valid after <see cref="Finish"/>).</summary>
    public BackupLink LinkToLast() =>
        new(Path.GetFileName(_files[^1].Path), _files[^1].Reader.CreatedAt!.Value, _files[^1].Reader.ComputedChecksum);

    /// <summary>
    /// The chain that ends with <paramref name="last"/>: each incremental's base is looked up by its file name in
    /// the incremental's folder, back to the full backup.
    /// </summary>
    public static List<string> Resolve(string last, BackupEncryption? encryption)
    {
        var chain = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string path = Path.GetFullPath(last);
        while (true)
        {
            if (!seen.Add(path)) throw new SkvBackupException(path, null, null, "the chain of bases loops back to this file");
            if (!File.Exists(path))
                throw new FileNotFoundException(chain.Count == 0 ? $"backup file not found: {path}"
                    : $"the chain is incomplete: {Path.GetFileName(chain[0])} applies to {Path.GetFileName(path)}, which is not in {Path.GetDirectoryName(path)}", path);
            chain.Insert(0, path);
            BackupLink? link;
            using (var input = BackupInput.OpenFile(path, null, encryption))
            using (var reader = new BackupReader(path, input.Json, allowIncremental: true))
            {
                reader.ReadHeader();
                link = reader.Base;
                if (reader.IsIncremental && link is null) throw reader.Error(null, "an incremental document must name its \"base\"");
            }
            if (link is null) return chain;
            if (Path.GetFileName(link.File) != link.File || link.File is "" or "." or "..")
                throw new SkvBackupException(path, null, null, $"\"base\" names \"{link.File}\", not a file name");
            path = Path.Combine(Path.GetDirectoryName(path)!, link.File);
        }
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
        _files.Clear();
    }
}
