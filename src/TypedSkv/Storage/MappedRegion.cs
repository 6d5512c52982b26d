using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace TypedSkv.Storage;

/// <summary>
/// A read-only memory map of the first <see cref="Length"/> bytes of a data file. Point reads copy from it
/// instead of making a system call, which is what lets one thread do well over a million reads a second.
/// Maps are only added (each larger than the last) and all unmapped together when the file is released, so a
/// reader never needs a reference count to use one.
/// </summary>
internal sealed unsafe class MappedRegion : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _pointer;

    private MappedRegion(MemoryMappedFile file, MemoryMappedViewAccessor view, long length)
    {
        _file = file;
        _view = view;
        Length = length;
        byte* p = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _pointer = p + view.PointerOffset;
    }

    public long Length { get; }

    /// <summary>Called once the map is gone (the seam's strict mode counts live maps per file).</summary>
    internal Action? Unmapped { get; set; }

    public static MappedRegion? TryCreate(SafeFileHandle handle, long length)
    {
        if (length <= 0) return null;
        try
        {
            // capacity 0 = the file's current size: the file may be longer than the valid end (a torn tail, or
            // another process appending), and a capacity smaller than the file throws ArgumentOutOfRangeException
            var file = MemoryMappedFile.CreateFromFile(handle, null, 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: true);
            try
            {
                var view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
                return new MappedRegion(file, view, length);
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }
        catch (ArgumentOutOfRangeException)
        {
            return null; // the file became shorter than length meanwhile: positional reads
        }
        catch (IOException)
        {
            return null; // no mapping (odd file system): reads fall back to positional reads
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    public void CopyTo(long offset, Span<byte> dest) => new ReadOnlySpan<byte>(_pointer + offset, dest.Length).CopyTo(dest);

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
        Unmapped?.Invoke();
    }
}
