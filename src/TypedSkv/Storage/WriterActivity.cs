namespace TypedSkv.Storage;

/// <summary>
/// Counts single writes in progress, so that a group-commit leader can tell whether anybody is about to append:
/// <see cref="Pending"/> is the number of writers that have been called but have not appended yet.
/// </summary>
internal sealed class WriterActivity
{
    private int _notYetAppended;

    public int Pending => Volatile.Read(ref _notYetAppended);

    public void Enter() => Interlocked.Increment(ref _notYetAppended);

    /// <summary>The writer's record is in the log (or it wrote nothing, or failed): it no longer holds up a sync.</summary>
    public void Appended() => Interlocked.Decrement(ref _notYetAppended);
}
