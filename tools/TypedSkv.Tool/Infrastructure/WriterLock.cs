namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Whether a writer holds a store right now, asked without becoming one: the lock file is opened for reading with a
/// shared lock, which fails while a writer holds its exclusive one. Asked only when a read-only open found bytes past
/// the last committed record, to tell a write in progress (lock held) from a torn tail (lock free). For that instant
/// the probe holds a shared lock, so a writer opening at that very moment would be refused as locked.
/// </summary>
public static class WriterLock
{
    public static bool IsHeld(string db)
    {
        string lockPath = db + SkvStore.LockFileSuffix;
        try
        {
            using var probe = new FileStream(lockPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1);
            return false;
        }
        catch (FileNotFoundException)
        {
            return false; // no lock file: nobody ever opened it for writing, or it was removed
        }
        catch (DirectoryNotFoundException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false; // cannot tell; a torn tail is then reported, which errs on the side of telling
        }
        catch (IOException)
        {
            return true; // the writer's exclusive lock refused the shared one
        }
    }
}
