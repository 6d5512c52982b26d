using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using StackExchange.Redis;

namespace TypedSkv.Redis;

/// <summary>
/// What a connection needs beyond its text (<see cref="RedisSkvStorage.Connect(string, RedisConnectionOptions, RedisSkvOptions)"/>):
/// credentials that should not be in a URI, TLS files, the timeout. docs/redis.md, "Connecting".
/// </summary>
public sealed record RedisConnectionOptions
{
    /// <summary>Connect, command and sync timeout (default 5 s).</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>ACL user (Redis 6+). Giving one here and another in the connection text is an error.</summary>
    public string? User { get; init; }

    /// <summary>Password (<c>requirepass</c>, or the ACL user's). Giving one here and one in the connection text is an error.</summary>
    public string? Password { get; init; }

    /// <summary>
    /// PEM file of the CA (or CAs) that signs the servers' certificates; trusted in addition to the system's roots.
    /// TLS only (<c>rediss://</c>).
    /// </summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>PEM client certificate for servers that ask for one (<c>tls-auth-clients</c>). TLS only.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM private key of <see cref="ClientCertificateFile"/>; null when that file holds the key too.</summary>
    public string? ClientKeyFile { get; init; }
}

/// <summary>Why a connection could not be made (<see cref="SkvRedisConnectionException.Failure"/>).</summary>
public enum RedisConnectionFailure
{
    /// <summary>The connection text or the options are not usable (bad URI, missing TLS file, a password given twice).</summary>
    BadConfiguration,
    /// <summary>No server answered (refused, unreachable, timed out).</summary>
    Unreachable,
    /// <summary>The server refused the user or password (or asked for one that was not given).</summary>
    Authentication,
    /// <summary>The server's TLS certificate does not verify (unknown CA, wrong name, expired), or the TLS handshake failed.</summary>
    Certificate,
}

/// <summary>
/// Connecting to Redis failed, or the connection text is not usable. The message is one line, names the server and
/// the reason, and never holds the password.
/// </summary>
public sealed class SkvRedisConnectionException : SkvException
{
    public SkvRedisConnectionException(RedisConnectionFailure failure, string message, Exception? inner = null) : base(message, inner) =>
        Failure = failure;

    public RedisConnectionFailure Failure { get; }
}

/// <summary>
/// Turns connection text into StackExchange.Redis <see cref="ConfigurationOptions"/>: <c>redis://</c> and
/// <c>rediss://</c> URIs (each seed parsed by <see cref="Uri"/>), or a StackExchange.Redis configuration string.
/// </summary>
public static class RedisConnection
{
    public const string Scheme = "redis";
    public const string TlsScheme = "rediss";
    public const int DefaultPort = 6379;

    /// <summary>Whether <paramref name="text"/> is a <c>redis://</c> or <c>rediss://</c> URI.</summary>
    public static bool IsUri(string text) =>
        text.StartsWith(Scheme + "://", StringComparison.OrdinalIgnoreCase) || text.StartsWith(TlsScheme + "://", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Parses <paramref name="connection"/> and applies <paramref name="options"/>: endpoints, user, password (both
    /// percent-decoded from a URI), database, TLS with the certificate checks of <see cref="RedisConnectionOptions"/>.
    /// Throws <see cref="SkvRedisConnectionException"/> (<see cref="RedisConnectionFailure.BadConfiguration"/>).
    /// </summary>
    public static ConfigurationOptions Parse(string connection, RedisConnectionOptions? options = null) =>
        Build(connection, options ?? new RedisConnectionOptions(), new ConcurrentQueue<string>());

    /// <summary>
    /// The connection text as it may be shown: a URI without its password, a configuration string as
    /// StackExchange.Redis prints it (password left out). Text that does not parse keeps only what cannot be a secret.
    /// </summary>
    public static string Redact(string connection)
    {
        if (IsUri(connection))
        {
            int start = connection.IndexOf("://", StringComparison.Ordinal) + 3;
            // everything up to the last '@' is user information: without a parse, hide all of it but the user
            int at = connection.LastIndexOf('@');
            string shown = "";
            if (at >= start)
            {
                string userInfo = connection[start..at];
                int colon = userInfo.IndexOf(':');
                shown = colon < 0 ? userInfo : userInfo[..colon] + ":***";
                // a comma or slash there means the text is not what it seems (an unescaped password): show none of it
                if (shown.IndexOfAny([',', '/']) >= 0) shown = "***";
                shown += "@";
            }
            // option=value tokens (a configuration string's, which a URI does not take) may hold a password
            var seeds = connection[(Math.Max(at + 1, start))..].Split(',')
                .Select(seed => seed.IndexOf('=') is int eq and >= 0 ? seed[..(eq + 1)] + "*****" : seed);
            return connection[..start] + shown + string.Join(',', seeds);
        }
        try
        {
            return ConfigurationOptions.Parse(connection, ignoreUnknown: true).ToString(includePassword: false);
        }
        catch (ArgumentException)
        {
            return "(a Redis configuration string that does not parse)";
        }
    }

    internal static ConfigurationOptions Build(string connection, RedisConnectionOptions options, ConcurrentQueue<string> certificateFailures)
    {
        if (string.IsNullOrWhiteSpace(connection)) throw Bad("the Redis connection is empty");
        var config = IsUri(connection) ? FromUri(connection) : FromConfigurationString(connection);

        if (options.User is not null)
        {
            if (config.User is not null && config.User != options.User)
                throw Bad($"{Redact(connection)} names the user {config.User} and the options name {options.User}: give one");
            config.User = options.User;
        }
        if (options.Password is not null)
        {
            if (config.Password is not null && config.Password != options.Password)
                throw Bad($"{Redact(connection)} holds a password and the options give another: give one");
            config.Password = options.Password;
        }

        bool tlsFiles = options.CaCertificateFile is not null || options.ClientCertificateFile is not null || options.ClientKeyFile is not null;
        if (tlsFiles && !config.Ssl)
            throw Bad($"a CA file or client certificate is for TLS, and {Redact(connection)} is not TLS: use rediss://");
        if (options.ClientKeyFile is not null && options.ClientCertificateFile is null)
            throw Bad("a client key needs its client certificate");
        if (config.Ssl) ConfigureTls(config, options, certificateFailures);

        if (options.Timeout <= TimeSpan.Zero || options.Timeout.TotalMilliseconds > int.MaxValue)
            throw Bad($"the timeout must be positive and under 24 days, not {options.Timeout}");
        int ms = Math.Max(1, (int)options.Timeout.TotalMilliseconds);
        config.ConnectTimeout = ms;
        config.SyncTimeout = ms;
        config.AsyncTimeout = ms;
        config.AbortOnConnectFail = true;
        return config;
    }

    private static ConfigurationOptions FromConfigurationString(string connection)
    {
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(connection);
        }
        catch (ArgumentException ex)
        {
            throw Bad($"bad Redis configuration string {Redact(connection)}: {ex.Message}");
        }
        if (config.EndPoints.Count == 0) throw Bad($"no endpoint in {Redact(connection)}");
        config.SetDefaultPorts();
        return config;
    }

    /// <summary>
    /// <c>redis[s]://[user[:password]@]host[:port][,host[:port]...][/db]</c>: the seeds are split at commas and each
    /// is parsed by <see cref="Uri"/>. Credentials come once, before the first seed, and apply to every node; the
    /// scheme (TLS or not) applies to every seed; the database, after the last seed, too.
    /// </summary>
    private static ConfigurationOptions FromUri(string connection)
    {
        string shown = Redact(connection);
        int start = connection.IndexOf("://", StringComparison.Ordinal) + 3;
        string scheme = connection[..(start - 3)].ToLowerInvariant();
        string[] seeds = connection[start..].Split(',');
        var config = new ConfigurationOptions { Ssl = scheme == TlsScheme };
        for (int i = 0; i < seeds.Length; i++)
        {
            if (seeds[i].Length == 0) throw Bad($"{shown}: an empty host in the seed list");
            if (seeds[i].IndexOf('=') is int eq and > 0 && seeds[i].IndexOfAny(['@', '?']) < 0)
                throw Bad($"{shown}: '{seeds[i][..eq]}=' is a StackExchange.Redis option, which a redis:// URI does not take: put user and password in the URI (or the options), or use a configuration string without redis://");
            if (!Uri.TryCreate(scheme + "://" + seeds[i], UriKind.Absolute, out var uri) || uri.Host.Length == 0)
                throw Bad($"{shown}: '{Redact(scheme + "://" + seeds[i])[(scheme.Length + 3)..]}' is not host[:port] (a password's reserved characters such as @ : / , must be percent-encoded)");
            if (uri.Query.Length > 0 || uri.Fragment.Length > 0)
                throw Bad($"{shown}: query options are not supported in a redis:// URI; use a StackExchange.Redis configuration string for them");
            if (uri.UserInfo.Length > 0)
            {
                if (i > 0) throw Bad($"{shown}: credentials go once, before the first host, and apply to every seed");
                int colon = uri.UserInfo.IndexOf(':');
                string user = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
                if (user.Length > 0) config.User = user;
                if (colon >= 0) config.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
            }
            string path = uri.AbsolutePath.TrimEnd('/');
            if (path.Length > 0)
            {
                if (i < seeds.Length - 1) throw Bad($"{shown}: the database number goes after the last host (redis://a:1,b:2/0)");
                if (!int.TryParse(path.AsSpan(1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int db) || path.IndexOf('/', 1) >= 0)
                    throw Bad($"{shown}: '{path[1..]}' is not a database number");
                config.DefaultDatabase = db;
            }
            int port = uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port;
            if (port == 0) throw Bad($"{shown}: port 0");
            // IPv6 literals come bracketed in Host; DnsSafeHost is the bare address
            string host = uri.DnsSafeHost;
            config.EndPoints.Add(IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : new DnsEndPoint(host, port));
        }
        return config;
    }

    // ---- TLS ----

    private static void ConfigureTls(ConfigurationOptions config, RedisConnectionOptions options, ConcurrentQueue<string> failures)
    {
        X509Certificate2Collection? authorities = null;
        if (options.CaCertificateFile is { } caFile)
        {
            RequireFile(caFile, "CA file");
            authorities = new X509Certificate2Collection();
            try
            {
                authorities.ImportFromPemFile(caFile);
            }
            catch (CryptographicException ex)
            {
                throw Bad($"the CA file {caFile} does not hold PEM certificates: {ex.Message}", ex);
            }
            if (authorities.Count == 0) throw Bad($"the CA file {caFile} holds no certificate (PEM, -----BEGIN CERTIFICATE-----)");
        }
        if (options.ClientCertificateFile is { } certFile)
        {
            RequireFile(certFile, "client certificate");
            if (options.ClientKeyFile is not null) RequireFile(options.ClientKeyFile, "client key");
            X509Certificate2 client;
            try
            {
                client = X509Certificate2.CreateFromPemFile(certFile, options.ClientKeyFile);
            }
            catch (CryptographicException ex)
            {
                throw Bad($"cannot read the client certificate {certFile}{(options.ClientKeyFile is null ? " (with its key in the same file)" : $" with the key {options.ClientKeyFile}")}: {ex.Message}", ex);
            }
            config.CertificateSelection += (_, _, _, _, _) => client;
        }
        config.CertificateValidation += (sender, certificate, chain, errors) =>
        {
            string host = (sender as SslStream)?.TargetHostName is { Length: > 0 } h ? h : "the server";
            string? problem = Check(certificate, chain, errors, authorities);
            if (problem is null) return true;
            failures.Enqueue($"the TLS certificate of {host} does not verify: {problem}");
            return false;
        };
    }

    /// <summary>Null when the certificate is good: the system trusts it, or it chains to one of <paramref name="authorities"/>.</summary>
    private static string? Check(X509Certificate? certificate, X509Chain? systemChain, SslPolicyErrors errors, X509Certificate2Collection? authorities)
    {
        if (errors == SslPolicyErrors.None) return null;
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) return "the server sent no certificate";
        using var leaf = new X509Certificate2(certificate);
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"it is issued to {Names(leaf)}, not to the host connected to (name mismatch)";
        if (authorities is null)
            return $"{ChainProblem(systemChain)} (issuer {leaf.Issuer}; give the CA file that signed it)";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (systemChain is not null)
        {
            // intermediates the server sent
            foreach (var element in systemChain.ChainElements)
                if (!element.Certificate.RawData.AsSpan().SequenceEqual(leaf.RawData)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        if (chain.Build(leaf)) return null;
        return $"{ChainProblem(chain)} (issuer {leaf.Issuer}, not signed by the given CA file)";
    }

    private static string ChainProblem(X509Chain? chain)
    {
        var statuses = chain?.ChainStatus.Where(s => s.Status != X509ChainStatusFlags.NoError).ToList() ?? [];
        if (statuses.Count == 0) return "the certificate chain does not verify";
        return string.Join("; ", statuses.Select(s => s.StatusInformation.Trim() is { Length: > 0 } info ? $"{info.TrimEnd('.')} ({s.Status})" : s.Status.ToString()));
    }

    private static string Names(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                names.AddRange(san.EnumerateDnsNames());
                names.AddRange(san.EnumerateIPAddresses().Select(a => a.ToString()));
            }
        }
        return names.Count > 0 ? string.Join(", ", names) : certificate.Subject;
    }

    private static void RequireFile(string path, string what)
    {
        if (!File.Exists(path)) throw Bad($"{what} not found: {path}");
    }

    private static SkvRedisConnectionException Bad(string message, Exception? inner = null) =>
        new(RedisConnectionFailure.BadConfiguration, message, inner);

    // ---- connecting ----

    /// <summary>Connects; a failure becomes one <see cref="SkvRedisConnectionException"/> line without StackExchange.Redis's advice text.</summary>
    internal static ConnectionMultiplexer Connect(string connection, RedisConnectionOptions? options)
    {
        var failures = new ConcurrentQueue<string>();
        var config = Build(connection, options ?? new RedisConnectionOptions(), failures);
        string endpoints = string.Join(",", config.EndPoints.Select(Format));
        ConnectionMultiplexer connected;
        try
        {
            connected = ConnectionMultiplexer.Connect(config);
        }
        catch (RedisConnectionException ex)
        {
            if (failures.TryDequeue(out string? certificate))
                throw new SkvRedisConnectionException(RedisConnectionFailure.Certificate, $"cannot connect to Redis at {endpoints}: {certificate}", ex);
            string clientCertificateHint = options?.ClientCertificateFile is null ? "; if the server requires a client certificate, give one" : "";
            if (Find<System.Security.Authentication.AuthenticationException>(ex) is { } handshake)
                throw new SkvRedisConnectionException(RedisConnectionFailure.Certificate, $"cannot connect to Redis at {endpoints}: the TLS handshake failed ({OneLine(handshake.Message)}){clientCertificateHint}", ex);
            if (ex.FailureType == ConnectionFailureType.AuthenticationFailure && Find<RedisServerException>(ex) is { } refused)
            {
                string who = config.User is { } u ? $"user {u}" : "the default user";
                string given = config.Password is null ? "no password given" : "with the password given";
                throw new SkvRedisConnectionException(RedisConnectionFailure.Authentication, $"cannot connect to Redis at {endpoints}: authentication failed for {who}, {given} ({OneLine(refused.Message)})", ex);
            }
            if (ex.FailureType == ConnectionFailureType.AuthenticationFailure)
            {
                // StackExchange.Redis reports a TLS connection the server closed during the handshake this way too
                bool credentials = config.Password is not null || config.User is not null;
                string what = !config.Ssl ? "the server refused the credentials"
                    : credentials ? "the server closed the TLS connection or refused the credentials" : "the server closed the TLS connection during the handshake";
                throw new SkvRedisConnectionException(config.Ssl ? RedisConnectionFailure.Certificate : RedisConnectionFailure.Authentication,
                    $"cannot connect to Redis at {endpoints}: {what} ({ServerText(ex) ?? ex.FailureType.ToString()}){(config.Ssl ? clientCertificateHint : "")}", ex);
            }
            // StackExchange.Redis's own text is advice about abortConnect: say what was tried instead
            string reason = ServerText(ex) is { } text ? $"{text} ({ex.FailureType})" : $"no Redis server answered ({ex.FailureType})";
            string hint = !config.Ssl ? "; check the address, that the server is running, and whether it takes TLS only (rediss://)"
                : options?.ClientCertificateFile is null ? "; check the address, that the server is running, and whether it requires a client certificate"
                : "; check the address and that the server is running";
            throw new SkvRedisConnectionException(RedisConnectionFailure.Unreachable, $"cannot connect to Redis at {endpoints}: {reason}{hint}", ex);
        }
        // otherwise the first command fails with "Failed to write" (StackExchange.Redis cannot SELECT there)
        if (config.DefaultDatabase is int db and not 0 && connected.GetServers().Any(s => s.ServerType == ServerType.Cluster))
        {
            connected.Dispose();
            throw Bad($"{Redact(connection)}: a Redis Cluster has only database 0, not {db}");
        }
        return connected;
    }

    private static string Format(EndPoint endpoint) => endpoint switch
    {
        DnsEndPoint d => $"{d.Host}:{d.Port}",
        IPEndPoint { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } i => $"[{i.Address}]:{i.Port}",
        IPEndPoint i => $"{i.Address}:{i.Port}",
        _ => endpoint.ToString() ?? "?",
    };

    private static T? Find<T>(Exception ex) where T : Exception
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
            if (e is T found) return found;
        return null;
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();

    /// <summary>The innermost message that is not StackExchange.Redis's own summary (the server's or the socket's words).</summary>
    private static string? ServerText(Exception ex)
    {
        string? text = null;
        for (var e = ex.InnerException; e is not null; e = e.InnerException)
            if (e.Message.Length > 0) text = e.Message;
        return text is null ? null : string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries)).Trim();
    }
}
