//! Typed settings, one struct per concern.
//!
//! Every field is a `clap` option with a `SKILLDEX_*` environment fallback; binaries flatten
//! the concerns they use into their own `Parser` and call [`parse_or_exit`], which also loads
//! `.env`. A missing or malformed value stops start-up with a message naming the variable.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, ValueEnum, error::ContextKind};
use url::Url;

/// PostgreSQL connection.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Database")]
pub struct DatabaseSettings {
    /// PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/skilldex
    #[arg(long = "database-url", env = "SKILLDEX_DATABASE_URL", value_parser = parse_postgres_url)]
    pub url: String,

    /// Largest number of pooled connections.
    #[arg(
        long = "database-max-connections",
        env = "SKILLDEX_DATABASE_MAX_CONNECTIONS",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..=1000)
    )]
    pub max_connections: u32,

    /// Seconds to wait for a connection before failing.
    #[arg(
        long = "database-connect-timeout-secs",
        env = "SKILLDEX_DATABASE_CONNECT_TIMEOUT_SECS",
        default_value_t = 5
    )]
    pub connect_timeout_secs: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: "postgres://postgres@127.0.0.1:5432/skilldex".into(),
            max_connections: 10,
            connect_timeout_secs: 5,
        }
    }
}

impl DatabaseSettings {
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_secs(self.connect_timeout_secs)
    }
}

/// Temporal frontend service and the task queue the worker polls.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Temporal")]
pub struct TemporalSettings {
    /// Temporal frontend gRPC address.
    #[arg(
        long = "temporal-address",
        env = "SKILLDEX_TEMPORAL_ADDRESS",
        default_value = "http://127.0.0.1:7233"
    )]
    pub address: Url,

    /// Temporal namespace.
    #[arg(
        long = "temporal-namespace",
        env = "SKILLDEX_TEMPORAL_NAMESPACE",
        default_value = "default"
    )]
    pub namespace: String,

    /// Task queue the worker polls and the api starts workflows on.
    #[arg(
        long = "temporal-task-queue",
        env = "SKILLDEX_TEMPORAL_TASK_QUEUE",
        default_value = "skilldex"
    )]
    pub task_queue: String,
}

/// S3-compatible object storage for skill archives.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Object storage (S3)")]
pub struct S3Settings {
    /// Endpoint of an S3-compatible server; unset means AWS S3 itself.
    #[arg(long = "s3-endpoint", env = "SKILLDEX_S3_ENDPOINT")]
    pub endpoint: Option<Url>,

    /// Bucket holding skill archives.
    #[arg(
        long = "s3-bucket",
        env = "SKILLDEX_S3_BUCKET",
        default_value = "skilldex"
    )]
    pub bucket: String,

    /// Region used for request signing.
    #[arg(
        long = "s3-region",
        env = "SKILLDEX_S3_REGION",
        default_value = "us-east-1"
    )]
    pub region: String,

    /// Access key id.
    #[arg(long = "s3-access-key", env = "SKILLDEX_S3_ACCESS_KEY")]
    pub access_key: String,

    /// Secret access key.
    #[arg(
        long = "s3-secret-key",
        env = "SKILLDEX_S3_SECRET_KEY",
        hide_env_values = true
    )]
    pub secret_key: String,

    /// Path-style addressing (`endpoint/bucket/key`), needed by most self-hosted servers.
    #[arg(
        long = "s3-force-path-style",
        env = "SKILLDEX_S3_FORCE_PATH_STYLE",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub force_path_style: bool,
}

/// GitHub REST API access.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "GitHub")]
pub struct GithubSettings {
    /// Base URL of the GitHub REST API (tests point it at the fake GitHub server).
    #[arg(
        long = "github-api-url",
        env = "SKILLDEX_GITHUB_API_URL",
        default_value = "https://api.github.com"
    )]
    pub api_url: Url,

    /// Token for higher rate limits; anonymous access when unset.
    #[arg(
        long = "github-token",
        env = "SKILLDEX_GITHUB_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// The HTTP listener of the api.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "HTTP")]
pub struct HttpSettings {
    /// Address the api listens on.
    #[arg(
        long = "http-addr",
        env = "SKILLDEX_HTTP_ADDR",
        default_value = "127.0.0.1:8080"
    )]
    pub addr: SocketAddr,

    /// Largest accepted request body, in bytes.
    #[arg(
        long = "http-body-limit",
        env = "SKILLDEX_HTTP_BODY_LIMIT",
        default_value_t = 64 * 1024
    )]
    pub body_limit: usize,

    /// Seconds a request may take before it is answered with 408.
    #[arg(
        long = "http-request-timeout-secs",
        env = "SKILLDEX_HTTP_REQUEST_TIMEOUT_SECS",
        default_value_t = 30
    )]
    pub request_timeout_secs: u64,

    /// Seconds in-flight requests get to finish after SIGTERM/Ctrl-C.
    #[arg(
        long = "http-shutdown-grace-secs",
        env = "SKILLDEX_HTTP_SHUTDOWN_GRACE_SECS",
        default_value_t = 20
    )]
    pub shutdown_grace_secs: u64,

    /// Directory of the built web UI to serve at `/`; the UI is not served when unset.
    #[arg(long = "ui-dir", env = "SKILLDEX_UI_DIR")]
    pub ui_dir: Option<PathBuf>,

    /// Origins allowed by CORS, comma separated; none when empty.
    #[arg(
        long = "http-cors-origins",
        env = "SKILLDEX_HTTP_CORS_ORIGINS",
        value_delimiter = ',',
        default_value = ""
    )]
    pub cors_origins: Vec<String>,

    /// Requests per minute one client IP may make to rate-limited public writes
    /// (`POST /api/v1/repositories`, registrations); the bucket refills at this rate.
    #[arg(
        long = "http-rate-limit-per-minute",
        env = "SKILLDEX_HTTP_RATE_LIMIT_PER_MINUTE",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_limit_per_minute: u32,

    /// Requests one client IP may make in a burst before the per-minute rate applies.
    #[arg(
        long = "http-rate-limit-burst",
        env = "SKILLDEX_HTTP_RATE_LIMIT_BURST",
        default_value_t = 5,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub rate_limit_burst: u32,

    /// Requests per minute one client IP may make to the unauthenticated auth endpoints
    /// (`POST /api/v1/auth/login`, `/refresh`, `/logout`), a bucket apart from the one of
    /// registrations; the bucket refills at this rate.
    #[arg(
        long = "http-auth-rate-limit-per-minute",
        env = "SKILLDEX_HTTP_AUTH_RATE_LIMIT_PER_MINUTE",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub auth_rate_limit_per_minute: u32,

    /// Auth requests one client IP may make in a burst before the per-minute rate applies.
    #[arg(
        long = "http-auth-rate-limit-burst",
        env = "SKILLDEX_HTTP_AUTH_RATE_LIMIT_BURST",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub auth_rate_limit_burst: u32,

    /// Take the client IP from the first `X-Forwarded-For` address. Only set this behind a
    /// reverse proxy that overwrites the header; otherwise clients choose their own IP.
    #[arg(
        long = "http-trust-forwarded-for",
        env = "SKILLDEX_HTTP_TRUST_FORWARDED_FOR",
        default_value_t = false,
        action = clap::ArgAction::Set
    )]
    pub trust_forwarded_for: bool,

    /// Public base URL of the registry as clients reach it (scheme, host, optional port and
    /// path prefix, e.g. `https://skills.example.com`), for the absolute URLs in answers
    /// (install commands). Unset: taken from each request's `Host` and `X-Forwarded-Proto`,
    /// which clients choose, and the response cache keys entries by them.
    #[arg(long = "http-public-url", env = "SKILLDEX_HTTP_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,

    /// Seconds a public read (search, skill pages, lists) is served from the api's
    /// in-memory response cache and may be cached by clients and CDNs; 0 disables it.
    #[arg(
        long = "http-cache-ttl-secs",
        env = "SKILLDEX_HTTP_CACHE_TTL_SECS",
        default_value_t = 5
    )]
    pub cache_ttl_secs: u64,

    /// Milliseconds between flushes of the batched download counters to PostgreSQL.
    #[arg(
        long = "http-download-flush-ms",
        env = "SKILLDEX_HTTP_DOWNLOAD_FLUSH_MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(10..)
    )]
    pub download_flush_ms: u64,

    /// Seconds a presigned archive download URL stays valid.
    #[arg(
        long = "http-presign-ttl-secs",
        env = "SKILLDEX_HTTP_PRESIGN_TTL_SECS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..=604_800)
    )]
    pub presign_ttl_secs: u64,
}

impl HttpSettings {
    pub fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }
    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Admin authentication.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Auth")]
pub struct AuthSettings {
    /// Secret that signs session tokens (at least 32 bytes).
    #[arg(
        long = "auth-jwt-secret",
        env = "SKILLDEX_AUTH_JWT_SECRET",
        hide_env_values = true,
        value_parser = parse_secret
    )]
    pub jwt_secret: String,

    /// Username of the bootstrap admin, created at start when missing.
    #[arg(
        long = "auth-admin-username",
        env = "SKILLDEX_AUTH_ADMIN_USERNAME",
        default_value = "admin"
    )]
    pub admin_username: String,

    /// Argon2 PHC hash of the bootstrap admin's password; no bootstrap admin when unset.
    #[arg(
        long = "auth-admin-password-hash",
        env = "SKILLDEX_AUTH_ADMIN_PASSWORD_HASH",
        hide_env_values = true,
        value_parser = parse_argon2_phc
    )]
    pub admin_password_hash: Option<String>,

    /// Minutes an access token stays valid.
    #[arg(
        long = "auth-access-ttl-mins",
        env = "SKILLDEX_AUTH_ACCESS_TTL_MINS",
        default_value_t = 15
    )]
    pub access_ttl_mins: u64,

    /// Hours a refresh token stays valid (each refresh rotates it).
    #[arg(
        long = "auth-refresh-ttl-hours",
        env = "SKILLDEX_AUTH_REFRESH_TTL_HOURS",
        default_value_t = 168,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub refresh_ttl_hours: u64,
}

#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Pretty,
    /// One JSON object per line, for production log pipelines.
    Json,
}

/// Logging.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Logging")]
pub struct LogSettings {
    /// Output format.
    #[arg(
        long = "log-format",
        env = "SKILLDEX_LOG_FORMAT",
        default_value = "json"
    )]
    pub format: LogFormat,

    /// `tracing` filter directives, e.g. `info,skilldex_api=debug`.
    #[arg(long = "log-filter", env = "SKILLDEX_LOG", default_value = "info")]
    pub filter: String,
}

fn parse_postgres_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    match url.scheme() {
        "postgres" | "postgresql" => Ok(value.to_string()),
        other => Err(format!(
            "scheme `{other}` is not PostgreSQL (expected postgres://)"
        )),
    }
}

/// An `http(s)` URL without credentials, query or fragment, returned without its trailing
/// `/` so paths can be appended.
fn parse_public_url(value: &str) -> Result<String, String> {
    let url = Url::parse(value).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("scheme `{}` is not http or https", url.scheme()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not contain credentials".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn parse_secret(value: &str) -> Result<String, String> {
    if value.len() < 32 {
        return Err(format!(
            "must be at least 32 bytes long (got {})",
            value.len()
        ));
    }
    Ok(value.to_string())
}

fn parse_argon2_phc(value: &str) -> Result<String, String> {
    if value.starts_with("$argon2") {
        Ok(value.to_string())
    } else {
        Err("must be an argon2 PHC string starting with `$argon2`".into())
    }
}

/// Loads `.env` (without overriding the real environment), then parses `T` from the command
/// line and `SKILLDEX_*` variables. On a bad or missing value it prints which variable (and
/// flag) is wrong and exits with status 2.
pub fn parse_or_exit<T: clap::Parser>() -> T {
    load_dotenv();
    match try_parse_from::<T, _, _>(std::env::args_os()) {
        Ok(parsed) => parsed,
        Err(e) => e.exit(),
    }
}

/// Loads `.env` from the working directory if there is one.
pub fn load_dotenv() {
    match dotenvy::dotenv() {
        Ok(_) => {}
        Err(e) if e.not_found() => {}
        Err(e) => {
            eprintln!("error: .env could not be read: {e}");
            std::process::exit(2);
        }
    }
}

/// Like [`clap::Parser::try_parse_from`], but errors about a value name the environment
/// variable behind it, because most deployments set variables rather than flags.
pub fn try_parse_from<T, I, A>(args: I) -> Result<T, clap::Error>
where
    T: clap::Parser,
    I: IntoIterator<Item = A>,
    A: Into<std::ffi::OsString> + Clone,
{
    let mut command = T::command();
    let matches = command.try_get_matches_from_mut(args);
    let result = matches.and_then(|m| T::from_arg_matches(&m));
    result.map_err(|e| name_env_var(&command, e))
}

fn name_env_var(command: &clap::Command, error: clap::Error) -> clap::Error {
    use clap::error::ErrorKind;
    let kind = error.kind();
    let described = match kind {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => error
            .get(ContextKind::InvalidArg)
            .map(|arg| vec![arg.to_string()]),
        ErrorKind::MissingRequiredArgument => match error.get(ContextKind::InvalidArg) {
            Some(clap::error::ContextValue::Strings(args)) => Some(args.clone()),
            _ => None,
        },
        _ => None,
    };
    let Some(args) = described else {
        return error;
    };
    let names: Vec<String> = args
        .iter()
        .filter_map(|arg| env_name_for(command, arg))
        .collect();
    if names.is_empty() {
        return error;
    }
    let reason = match kind {
        ErrorKind::MissingRequiredArgument => "is required but not set",
        _ => "has an invalid value",
    };
    let rendered = error.render().to_string();
    clap::Error::raw(
        kind,
        format!(
            "{} {reason}\n{}",
            names.join(", "),
            rendered.trim_start_matches("error: ")
        ),
    )
    .with_cmd(command)
}

/// Finds the env variable of an argument given as clap renders it (`--database-url <URL>`).
fn env_name_for(command: &clap::Command, rendered_arg: &str) -> Option<String> {
    let long = rendered_arg
        .trim_start_matches("--")
        .split([' ', '='])
        .next()?;
    command
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|env| env.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser, Debug)]
    struct TestCli {
        #[command(flatten)]
        database: DatabaseSettings,
        #[command(flatten)]
        http: HttpSettings,
    }

    fn parse(args: &[&str]) -> Result<TestCli, clap::Error> {
        try_parse_from::<TestCli, _, _>(std::iter::once("test").chain(args.iter().copied()))
    }

    #[test]
    fn missing_required_value_names_its_variable() {
        // The variable must not leak in from the developer's environment.
        if std::env::var_os("SKILLDEX_DATABASE_URL").is_some() {
            return;
        }
        let err = parse(&[]).unwrap_err().to_string();
        assert!(err.contains("SKILLDEX_DATABASE_URL"), "{err}");
        assert!(err.contains("is required"), "{err}");
    }

    #[test]
    fn malformed_value_names_its_variable() {
        let err = parse(&["--database-url", "mysql://x/y"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SKILLDEX_DATABASE_URL"), "{err}");
        assert!(err.contains("not PostgreSQL"), "{err}");

        let err = parse(&["--database-url", "postgres://h/d", "--http-addr", "nope"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("SKILLDEX_HTTP_ADDR"), "{err}");
    }

    #[test]
    fn defaults_apply() {
        let cli = parse(&["--database-url", "postgres://h/d"]).unwrap();
        assert_eq!(cli.database.max_connections, 10);
        assert_eq!(cli.http.addr.port(), 8080);
        assert!(cli.http.cors_origins.iter().all(|o| o.is_empty()));
        assert_eq!(
            (
                cli.http.auth_rate_limit_per_minute,
                cli.http.auth_rate_limit_burst
            ),
            (20, 10)
        );
    }

    /// Every variable a setting reads must be documented in `.env.example`.
    #[test]
    fn env_example_documents_every_variable() {
        #[derive(Parser)]
        struct Everything {
            #[command(flatten)]
            database: DatabaseSettings,
            #[command(flatten)]
            temporal: TemporalSettings,
            #[command(flatten)]
            s3: S3Settings,
            #[command(flatten)]
            github: GithubSettings,
            #[command(flatten)]
            http: HttpSettings,
            #[command(flatten)]
            auth: AuthSettings,
            #[command(flatten)]
            log: LogSettings,
        }
        let example = include_str!("../../.env.example");
        let documented: Vec<&str> = example
            .lines()
            .map(|l| l.trim_start_matches("# ").trim())
            .filter_map(|l| l.split_once('=').map(|(name, _)| name))
            .collect();
        let missing: Vec<String> = Everything::command()
            .get_arguments()
            .filter_map(|a| a.get_env())
            .map(|e| e.to_string_lossy().into_owned())
            .filter(|name| !documented.contains(&name.as_str()))
            .collect();
        assert!(missing.is_empty(), "not in .env.example: {missing:?}");
    }

    #[test]
    fn public_urls_are_http_origins_without_a_trailing_slash() {
        assert_eq!(
            parse_public_url("https://skills.example.com/").unwrap(),
            "https://skills.example.com"
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:8080/registry/").unwrap(),
            "http://127.0.0.1:8080/registry"
        );
        for bad in [
            "skills.example.com",
            "ftp://skills.example.com",
            "https://user:pw@skills.example.com",
            "https://skills.example.com/?a=b",
            "https://skills.example.com/#top",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
        let cli = parse(&["--database-url", "postgres://h/d"]).unwrap();
        assert_eq!(cli.http.public_url, None);
    }

    #[test]
    fn short_secret_is_rejected() {
        assert!(parse_secret("short").is_err());
        assert!(parse_secret(&"x".repeat(32)).is_ok());
    }
}
