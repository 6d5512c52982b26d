namespace TypedSkv.Storage;

/// <summary>
/// A pass over a whole store (backup, verify, a restore's comparison view, compaction) walks the whole index
/// checkpoint through its memory map, and each page it touched would stay in the process's resident set (a
/// checkpoint of 10M keys is about 320 MB). Every <see cref="ReadsPerRelease"/> lookups or scanned entries the pass
/// lets go of the pages it mapped (<see cref="Native.ReleaseMappedPages"/>): they stay in the page cache, so a later
/// read costs a minor fault, not I/O. Values in such a pass are read with pread, not through the data file's map
/// (<see cref="DataFile.ReadAt"/>). Used only by such passes: ordinary reads keep their pages mapped. The state must
/// be pinned while it is used.
/// </summary>
internal sealed class ResidentPageBudget(StoreState state)
{
    /// <summary>A scan covers about 100 entries per 4 KiB block; a lookup maps a block (or a large folio) per read.</summary>
    public const int ReadsPerRelease = 1024;

    private int _reads;

    public void Count()
    {
        if (++_reads < ReadsPerRelease) return;
        _reads = 0;
        state.Index.Base?.ReleaseResidentPages();
    }
}
