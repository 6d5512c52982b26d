using System.Diagnostics.CodeAnalysis;
using TypedSkv.Indexing;
using TypedSkv.Storage;

namespace TypedSkv;

/// <summary>
/// A write transaction from <see cref="SkvStore.BeginTransaction"/>: reads see its own writes, other readers
/// see none of them until <see cref="Commit"/>. Not thread-safe; use it from one thread at a time.
/// Dispose without Commit rolls back (the records already appended are cut off the file).
/// </summary>
public sealed class SkvTransaction : ISkvWriteTransaction, ISkvRecordSink
{
    private readonly SkvStore _store;
    private readonly StoreState _start;
    private readonly DataFile _file;
    private readonly long _startOffset;
    private readonly object _owner = new();
    private KeyIndex.Node _root;
    private long _count;
    private long _liveBytes;
    private int _records;
    private bool _finished;

    internal SkvTransaction(SkvStore store, StoreState start)
    {
        _store = store;
        _start = start;
        _file = start.File;
        _startOffset = _file.AppendEnd;
        _root = start.Root;
        _count = start.Count;
        _liveBytes = start.LiveBytes;
    }

    /// <summary>Keys the store will hold if this commits.</summary>
    public long Count => _count;

    /// <summary>Operations written so far.</summary>
    public int RecordCount => _records;

    public void Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        ThrowIfFinished();
        SkvStore.ValidateKey(key);
        SkvStore.ValidateValue(value);
        long offset = _file.Append(RecordKind.Put, RecordFlags.InBatch, key, value);
        _records++;
        _root = KeyIndex.Set(_root, key, new IndexEntry(offset, value.Length), _owner, out var previous);
        _liveBytes += RecordFormat.RecordSize(key.Length, value.Length);
        if (previous is { } p) _liveBytes -= RecordFormat.RecordSize(key.Length, p.ValueLength);
        else _count++;
    }

    public void Put(string key, string value) => Put(SkvStore.Utf8(key), SkvStore.Utf8(value));

    /// <summary>Removes a key; returns whether it existed (as seen by this transaction).</summary>
    public bool Delete(ReadOnlySpan<byte> key)
    {
        ThrowIfFinished();
        SkvStore.ValidateKey(key);
        if (!KeyIndex.TryFind(_root, key, out _)) return false;
        _file.Append(RecordKind.Delete, RecordFlags.InBatch, key, default);
        _records++;
        _root = KeyIndex.Remove(_root, key, _owner, out var removed);
        _count--;
        _liveBytes -= RecordFormat.RecordSize(key.Length, removed!.Value.ValueLength);
        return true;
    }

    public bool Delete(string key) => Delete(SkvStore.Utf8(key));

    /// <summary>Removes every key (the restore "replace" mode starts with this).</summary>
    public void Clear()
    {
        ThrowIfFinished();
        _file.Append(RecordKind.Clear, RecordFlags.InBatch, default, default);
        _records++;
        _root = KeyIndex.Empty;
        _count = 0;
        _liveBytes = 0;
    }

    public bool TryGet(ReadOnlySpan<byte> key, [NotNullWhen(true)] out byte[]? value)
    {
        ThrowIfFinished();
        if (!KeyIndex.TryFind(_root, key, out var entry))
        {
            value = null;
            return false;
        }
        value = _file.ReadValue(entry.Offset, key, entry.ValueLength);
        return true;
    }

    public bool ContainsKey(ReadOnlySpan<byte> key)
    {
        ThrowIfFinished();
        return KeyIndex.TryFind(_root, key, out _);
    }

    /// <summary>Makes every write of the transaction visible and (per the store's durability) durable, at once.</summary>
    public void Commit()
    {
        ThrowIfFinished();
        _finished = true;
        long end;
        try
        {
            if (_records == 0) return;
            _file.AppendCommit(_records);
            // durability's in-lock part before publishing: a commit the OS refused is rolled back unseen
            end = _store.AfterCommitLocked(_file);
            _store.Publish(_start with
            {
                Root = _root,
                Count = _count,
                FileRecords = _start.FileRecords + _records + 1,
                LiveBytes = _liveBytes,
            });
            _store.PinForDurability(_file);
        }
        catch
        {
            _file.TruncateTo(_startOffset);
            throw;
        }
        finally
        {
            _store.EndTransaction();
        }
        _store.WaitDurableIfNeeded(_file, end);
    }

    void ISkvWriteTransaction.Delete(ReadOnlySpan<byte> key) => Delete(key);

    /// <summary>Drops every write of the transaction (as Dispose without Commit does).</summary>
    public void Rollback() => Dispose();

    /// <summary>Rolls back unless committed.</summary>
    public void Dispose()
    {
        if (_finished) return;
        _finished = true;
        try
        {
            _file.TruncateTo(_startOffset);
        }
        finally
        {
            _store.EndTransaction();
        }
    }

    private void ThrowIfFinished()
    {
        if (_finished) throw new InvalidOperationException("the transaction has been committed or rolled back");
    }
}
