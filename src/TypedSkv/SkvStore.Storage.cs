namespace TypedSkv;

/// <summary>The embedded store as an <see cref="ISkvStorage"/> (the default under the typed accessors).</summary>
public sealed partial class SkvStore : ISkvStorage
{
    ISkvWriteTransaction ISkvStorage.BeginWrite() => BeginTransaction();

    // waits for the write lock without blocking a thread (the other async members complete synchronously: docs/redis.md)
    async ValueTask<ISkvWriteTransaction> ISkvStorage.BeginWriteAsync(CancellationToken cancellationToken) =>
        await BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    ISkvReadView ISkvStorage.OpenReadView() => GetSnapshot();

    ISkvRecordSink ISkvStorage.BeginRestore() => BeginTransaction();
}
