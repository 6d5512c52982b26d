namespace TypedSkv;

/// <summary>
/// Receives a value straight from the store's read buffer (see <see cref="SkvStore.TryRead{TState, TResult}"/>).
/// The span is valid only during the call: deserialize or copy it there, never keep it.
/// </summary>
public delegate TResult SkvValueReader<in TState, out TResult>(ReadOnlySpan<byte> value, TState state);
