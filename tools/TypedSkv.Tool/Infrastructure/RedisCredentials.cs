using System.CommandLine;
using TypedSkv.Redis;

namespace TypedSkv.Tool.Infrastructure;

/// <summary>The Redis options of backup, restore and verify (TLS files and where the password comes from).</summary>
public sealed record RedisArgs(string? PasswordFile = null, string? Ca = null, string? Cert = null, string? Key = null)
{
    public bool Any => PasswordFile is not null || Ca is not null || Cert is not null || Key is not null;
}

/// <summary>
/// Where a Redis connection's secrets come from: the password from <c>--redis-password-file &lt;path&gt;</c>, else
/// the URI, else <c>SKV_REDIS_PASSWORD</c>; the user from the URI, else <c>SKV_REDIS_USER</c>. A password in the URI
/// works but is warned about: ps and the shell history show command lines to other users. docs/redis.md, "Connecting".
/// </summary>
public static class RedisCredentials
{
    public const string PasswordVariable = "SKV_REDIS_PASSWORD";
    public const string UserVariable = "SKV_REDIS_USER";
    public const string PasswordInUriKind = "password-on-command-line";

    /// <summary>Test seam: the environment the variables are read from (null: the process's).</summary>
    internal static readonly AsyncLocal<Func<string, string?>?> Environment = new();

    /// <summary>The options, created once per command (Option instances are not shared between commands).</summary>
    public sealed class Options
    {
        public Option<string?> PasswordFile { get; } = new("--redis-password-file")
        {
            Description = $"Redis: read the password from this file (one trailing newline is removed). Default: the password in the URI, else {PasswordVariable}. The user: the URI's, else {UserVariable}.",
            HelpName = "path",
        };

        public Option<string?> Ca { get; } = new("--redis-ca")
        {
            Description = "Redis over TLS (rediss://): PEM file of the CA that signed the servers' certificates (trusted besides the system's roots).",
            HelpName = "path",
        };

        public Option<string?> Cert { get; } = new("--redis-cert")
        {
            Description = "Redis over TLS: PEM client certificate, for servers that require one (tls-auth-clients).",
            HelpName = "path",
        };

        public Option<string?> Key { get; } = new("--redis-key")
        {
            Description = "Redis over TLS: PEM private key of --redis-cert (default: the key in the --redis-cert file).",
            HelpName = "path",
        };

        public void AddTo(Command command)
        {
            command.Add(PasswordFile);
            command.Add(Ca);
            command.Add(Cert);
            command.Add(Key);
        }

        public RedisArgs Read(ParseResult parseResult) =>
            new(parseResult.GetValue(PasswordFile), parseResult.GetValue(Ca), parseResult.GetValue(Cert), parseResult.GetValue(Key));
    }

    private static string? Variable(string name) =>
        (Environment.Value is { } seam ? seam(name) : System.Environment.GetEnvironmentVariable(name)) is { Length: > 0 } value ? value : null;

    /// <summary>The library options for <paramref name="uri"/>: credentials by the rules above, TLS files as given.</summary>
    public static RedisConnectionOptions For(string uri, RedisArgs? args, Warnings warnings)
    {
        args ??= new RedisArgs();
        var parsed = RedisConnection.Parse(uri);
        string shown = RedisConnection.Redact(uri);
        string? password = null;
        if (args.PasswordFile is { } file)
        {
            if (parsed.Password is not null)
                throw SkvToolException.Usage($"{shown} holds a password and --redis-password-file gives one: leave the password out of the URI");
            if (Directory.Exists(file)) throw SkvToolException.Usage($"{file} is a directory, not a password file");
            if (!File.Exists(file)) throw SkvToolException.Usage($"Redis password file not found: {file}");
            password = File.ReadAllText(file);
            if (password.EndsWith('\n')) password = password[..^1];
            if (password.EndsWith('\r')) password = password[..^1];
            if (password.Length == 0) throw SkvToolException.Usage($"the Redis password file {file} is empty");
        }
        else if (parsed.Password is not null)
        {
            warnings.Add(new Warning(PasswordInUriKind,
                $"the password in the Redis URI is visible to other users of this machine (ps, shell history): give it with {PasswordVariable} or --redis-password-file instead"));
        }
        else
        {
            password = Variable(PasswordVariable);
        }
        return new RedisConnectionOptions
        {
            User = parsed.User is null ? Variable(UserVariable) : null,
            Password = password,
            CaCertificateFile = args.Ca,
            ClientCertificateFile = args.Cert,
            ClientKeyFile = args.Key,
        };
    }

    /// <summary>Redis options given for a store file: a usage error (they would be ignored).</summary>
    public static void RefuseForStoreFile(RedisArgs? args, string db)
    {
        if (args is { Any: true })
            throw SkvToolException.Usage($"--redis-password-file, --redis-ca, --redis-cert and --redis-key are for a Redis connection (redis://, rediss://); {db} is a store file");
    }
}
