namespace TypedSkv;

/// <summary>
/// An encrypted backup was given no secret, or the other kind (a key for a file encrypted with a passphrase, or the
/// reverse): a usage error, nothing was read past the header. A wrong passphrase is not this: that is an
/// <see cref="SkvBackupException"/> (it cannot be told apart from a damaged header).
/// </summary>
public sealed class SkvBackupSecretException(string filePath, string message) : ArgumentException(message)
{
    /// <summary>The encrypted file.</summary>
    public string FilePath { get; } = filePath;
}
