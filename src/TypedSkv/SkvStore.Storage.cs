namespace TypedSkv;

/// <summary>The embedded store as an <see cref="ISkvStorage"/> (the default under the typed accessors).</summary>
public sealed partial class SkvStore : ISkvStorage
{
    ISkvWriteTransaction ISkvStorage.BeginWrite() => BeginTransaction();

    ISkvReadView ISkvStorage.OpenReadView() => GetSnapshot();

    ISkvRecordSink ISkvStorage.BeginRestore() => BeginTransaction();
}
