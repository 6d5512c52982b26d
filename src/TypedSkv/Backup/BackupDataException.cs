namespace TypedSkv.Backup;

/// <summary>
/// Damage found below the JSON (decryption, decompression): its message is complete and the reader reports it as
/// it is (the BCL's gzip throws <see cref="InvalidDataException"/>, which is sealed).
/// </summary>
internal sealed class BackupDataException(string message, Exception? inner = null) : IOException(message, inner);
