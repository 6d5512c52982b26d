using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// Turns the errors of a server that is gone, slow or failing over into <see cref="SkvUnavailableException"/>
/// (retryable), so that callers of the typed API catch one TypedSkv exception whatever the transport said.
/// </summary>
internal static class Unavailable
{
    public static T Call<T>(Func<T> operation)
    {
        try
        {
            return operation();
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Wrap(ex);
        }
    }

    public static void Call(Action operation)
    {
        try
        {
            operation();
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Wrap(ex);
        }
    }

    /// <summary>
    /// <see cref="Call{T}(Func{T})"/> for an asynchronous operation: the failure is mapped when the task is awaited (and
    /// when <paramref name="operation"/> throws while sending). A cancellation passes through unchanged.
    /// </summary>
    public static async Task<T> CallAsync<T>(Func<Task<T>> operation)
    {
        try
        {
            return await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Wrap(ex);
        }
    }

    /// <summary><see cref="CallAsync{T}(Func{Task{T}})"/> without a result.</summary>
    public static async Task CallAsync(Func<Task> operation)
    {
        try
        {
            await operation().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsTransient(ex))
        {
            throw Wrap(ex);
        }
    }

    /// <summary>
    /// The connection is lost or the server did not answer in time, or the cluster says it cannot serve the slot now
    /// (a failover under way: CLUSTERDOWN, TRYAGAIN, MASTERDOWN, a replica that is still LOADING, a demoted primary
    /// answering READONLY, a transaction discarded with EXECABORT because a node refused a queued command).
    /// </summary>
    public static bool IsTransient(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException => true,
        RedisServerException s => s.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal) || s.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || s.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal) || s.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || s.Message.StartsWith("READONLY", StringComparison.Ordinal)
            // a MULTI whose queued commands a node refused as its slot moved or went down: discarded, nothing written
            || s.Message.StartsWith("EXECABORT", StringComparison.Ordinal),
        _ => false,
    };

    public static SkvUnavailableException Wrap(Exception ex) =>
        new($"redis: the server is unavailable ({ex.GetType().Name}: {Short(ex.Message)}); the operation may or may not have been applied, and can be run again", ex);

    /// <summary>The first clause of StackExchange.Redis's message, without its counters and advice.</summary>
    public static string Short(string message)
    {
        int end = message.Length;
        foreach (string cut in new[] { ", inst:", " (Please", "; ", ", mc:", "/Interactive", "/Subscription" })
        {
            int i = message.IndexOf(cut, StringComparison.Ordinal);
            if (i > 0 && i < end) end = i;
        }
        return message[..end];
    }
}
