using System.CommandLine;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>
/// Where an encrypted backup's passphrase comes from: <c>--passphrase-file &lt;path&gt;</c>, else the environment
/// variable <c>SKV_PASSPHRASE</c>. Never a command-line value (ps shows those to every user of the machine).
/// </summary>
public static class BackupSecrets
{
    public const string EnvironmentVariable = "SKV_PASSPHRASE";

    public static Option<string?> CreatePassphraseFile() => new("--passphrase-file")
    {
        Description = $"Read the passphrase of an encrypted backup from this file (one trailing newline is removed). Default: the {EnvironmentVariable} environment variable.",
        HelpName = "path",
    };

    /// <summary>The passphrase from the file or the environment; null when neither gives one.</summary>
    public static BackupEncryption? Read(string? passphraseFile)
    {
        string? passphrase;
        if (passphraseFile is not null)
        {
            if (!File.Exists(passphraseFile)) throw SkvToolException.Usage($"passphrase file not found: {passphraseFile}");
            passphrase = File.ReadAllText(passphraseFile);
            if (passphrase.EndsWith('\n')) passphrase = passphrase[..^1];
            if (passphrase.EndsWith('\r')) passphrase = passphrase[..^1];
            if (passphrase.Length == 0) throw SkvToolException.Usage($"the passphrase file {passphraseFile} is empty");
        }
        else
        {
            passphrase = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (string.IsNullOrEmpty(passphrase)) return null;
        }
        return BackupEncryption.FromPassphrase(passphrase);
    }

    /// <summary>The secret for --encrypt: required.</summary>
    public static BackupEncryption ForEncrypting(string? passphraseFile) =>
        Read(passphraseFile) ?? throw SkvToolException.Usage($"--encrypt needs a passphrase: --passphrase-file <path> or the {EnvironmentVariable} environment variable");

    /// <summary>The message for an encrypted backup read without (the right kind of) secret.</summary>
    public static string Hint(SkvBackupSecretException ex) =>
        ex.Message + $" (give --passphrase-file <path> or set {EnvironmentVariable})";
}
