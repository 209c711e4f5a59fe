//! The command line's shape: global options and subcommands (clap derive).

use clap::{Args, Parser, Subcommand, ValueEnum};
use openai_subscribed::config::{self, RequestCompression, Transport};
use openai_subscribed::credentials::StoreKind;
use openai_subscribed::responses::StreamTimeouts;
use openai_subscribed::usage::UsageWarningThresholds;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variable for `--auth-url`.
pub const ENV_AUTH_URL: &str = "OPENAI_SUBSCRIBED_AUTH_URL";
/// Environment variable for `--backend-url`.
pub const ENV_BACKEND_URL: &str = "OPENAI_SUBSCRIBED_BACKEND_URL";
/// Environment variable for `--siwc-auth-url`.
pub const ENV_SIWC_AUTH_URL: &str = "OPENAI_SUBSCRIBED_SIWC_AUTH_URL";
/// Environment variable for `--siwc-api-url`.
pub const ENV_SIWC_API_URL: &str = "OPENAI_SUBSCRIBED_SIWC_API_URL";
/// Environment variable for `login --route`.
pub const ENV_ROUTE: &str = "OPENAI_SUBSCRIBED_ROUTE";
/// Environment variable for `--client-version`.
pub const ENV_CLIENT_VERSION: &str = "OPENAI_SUBSCRIBED_CLIENT_VERSION";
/// Environment variable for `--warn-at` (`80,95`, or `off`).
pub const ENV_WARN_AT: &str = "OPENAI_SUBSCRIBED_WARN_AT";
/// Environment variable for `--request-compression` (`zstd` or `none`).
pub const ENV_REQUEST_COMPRESSION: &str = "OPENAI_SUBSCRIBED_REQUEST_COMPRESSION";

/// Environment variable for `--transport` (`websocket` or `http`).
pub const ENV_TRANSPORT: &str = "OPENAI_SUBSCRIBED_TRANSPORT";
/// The endpoints and client version from the `OPENAI_SUBSCRIBED_*` environment variables alone
/// (the defaults where unset), for programs without this command line (the examples).
pub fn config_from_env() -> anyhow::Result<config::Config> {
    use anyhow::Context as _;
    let var = |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.into());
    let mut config = config::Config::with_urls(
        &var(ENV_AUTH_URL, config::DEFAULT_ISSUER),
        &var(ENV_BACKEND_URL, config::DEFAULT_BACKEND),
    )?
    .with_official_urls(
        &var(ENV_SIWC_AUTH_URL, config::DEFAULT_OFFICIAL_ISSUER),
        &var(ENV_SIWC_API_URL, config::DEFAULT_OFFICIAL_API),
    )?;
    config.client_version = var(ENV_CLIENT_VERSION, config::CLIENT_VERSION);
    if let Ok(compression) = std::env::var(ENV_REQUEST_COMPRESSION) {
        config.request_compression = compression.parse().context(ENV_REQUEST_COMPRESSION)?;
    }
    if let Ok(transport) = std::env::var(ENV_TRANSPORT) {
        config.transport = transport.parse().context(ENV_TRANSPORT)?;
    }
    Ok(config)
}

/// `--store`: the command line's names for [`StoreKind`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum StoreArg {
    /// The keychain, or the file when no keychain service answers.
    #[default]
    Auto,
    /// The OS keychain only.
    Keychain,
    /// The credentials file only.
    File,
    /// Memory only: forgotten when the process ends.
    Memory,
}

impl From<StoreArg> for StoreKind {
    fn from(arg: StoreArg) -> Self {
        match arg {
            StoreArg::Auto => Self::Auto,
            StoreArg::Keychain => Self::Keychain,
            StoreArg::File => Self::File,
            StoreArg::Memory => Self::Memory,
        }
    }
}

/// `--request-compression`: the command line's names for [`RequestCompression`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum CompressionArg {
    /// `Content-Encoding: zstd`, falling back to plain JSON if the server answers 415.
    #[default]
    Zstd,
    /// Plain JSON, never compressed.
    None,
}

impl From<CompressionArg> for RequestCompression {
    fn from(arg: CompressionArg) -> Self {
        match arg {
            CompressionArg::Zstd => Self::Zstd,
            CompressionArg::None => Self::None,
        }
    }
}

/// `--transport`: the command line's names for [`Transport`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum TransportArg {
    /// A WebSocket per thread (HTTP where the backend refuses it).
    #[default]
    Websocket,
    /// `POST /responses` with server-sent events.
    Http,
}

impl From<TransportArg> for Transport {
    fn from(arg: TransportArg) -> Self {
        match arg {
            TransportArg::Websocket => Self::WebSocket,
            TransportArg::Http => Self::Http,
        }
    }
}

/// Use a ChatGPT Plus/Pro/Team subscription as a language-model provider, from the terminal.
///
/// Every subcommand drives the same provider code Zed uses, through a headless gpui application.
#[derive(Debug, Parser)]
#[command(name = "openai-subscribed", version, about, long_about = None)]
pub struct Cli {
    /// Options every subcommand honours.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Where to sign in, where to send requests, and where to keep the sign-in.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// The OAuth issuer.
    #[arg(long, global = true, env = ENV_AUTH_URL, default_value = config::DEFAULT_ISSUER)]
    pub auth_url: String,
    /// The subscription backend.
    #[arg(long, global = true, env = ENV_BACKEND_URL, default_value = config::DEFAULT_BACKEND)]
    pub backend_url: String,
    /// The official route's issuer ("Sign in with ChatGPT"); its endpoints come from its
    /// discovery document.
    #[arg(long, global = true, env = ENV_SIWC_AUTH_URL, default_value = config::DEFAULT_OFFICIAL_ISSUER)]
    pub siwc_auth_url: String,
    /// The official route's API base (`/v1/models`, `/v1/responses`).
    #[arg(long, global = true, env = ENV_SIWC_API_URL, default_value = config::DEFAULT_OFFICIAL_API)]
    pub siwc_api_url: String,
    /// Where the sign-in is kept: the OS keychain, a 0600 file, or memory (gone at exit).
    /// `auto` uses the keychain and falls back to the file when no keychain answers.
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_STORE", value_enum, default_value_t = StoreArg::Auto)]
    pub store: StoreArg,
    /// The file used by the file store (default: the user's config directory).
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_STORE_PATH")]
    pub store_path: Option<PathBuf>,
    /// The client version sent to the model catalog: `0.0.0` (the default) asks for the whole
    /// catalog; any other version gets only the models the backend serves to it.
    #[arg(long, global = true, env = ENV_CLIENT_VERSION, default_value = config::CLIENT_VERSION)]
    pub client_version: String,
    /// Seconds to wait for the backend to start answering a chat request [default: 120].
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_FIRST_BYTE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds)]
    pub first_byte_timeout: Option<Duration>,
    /// Seconds of silence on the connection after which a streaming answer is given up
    /// [default: 90].
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_STREAM_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds)]
    pub stream_idle_timeout: Option<Duration>,
    /// Seconds without progress (keep-alive messages do not count) after which a streaming
    /// answer is given up [default: 300].
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_EVENT_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds)]
    pub event_idle_timeout: Option<Duration>,
    /// How request bodies are sent: zstd-compressed (falling back to plain JSON if the backend
    /// refuses it) or plain JSON.
    #[arg(long, global = true, env = ENV_REQUEST_COMPRESSION, value_enum, default_value_t = CompressionArg::Zstd)]
    pub request_compression: CompressionArg,
    /// How answers are asked for: a WebSocket per thread, each turn sending only its new items
    /// (falling back to HTTP where the backend refuses it), or HTTP with the whole thread each turn.
    #[arg(long, global = true, env = ENV_TRANSPORT, value_enum, default_value_t = TransportArg::Websocket)]
    pub transport: TransportArg,
    /// Usage shares (percent, comma-separated) past which `chat` prints a warning line before it
    /// sends and `usage` marks the window; `off` for none. Never blocks a request.
    #[arg(long, global = true, env = ENV_WARN_AT, value_name = "PERCENTS", default_value = "80,95", value_parser = parse_thresholds)]
    pub warn_at: UsageWarningThresholds,
}

/// `--warn-at 80,95`.
fn parse_thresholds(text: &str) -> Result<UsageWarningThresholds, String> {
    UsageWarningThresholds::parse(text)
}

impl GlobalArgs {
    /// The stall limits: the options given, the defaults for the others.
    pub fn stream_timeouts(&self) -> StreamTimeouts {
        let defaults = StreamTimeouts::DEFAULT;
        StreamTimeouts {
            first_byte: self.first_byte_timeout.unwrap_or(defaults.first_byte),
            between_chunks: self.stream_idle_timeout.unwrap_or(defaults.between_chunks),
            between_events: self.event_idle_timeout.unwrap_or(defaults.between_events),
        }
    }
}

/// A positive number of seconds, fractions allowed ("0.5").
fn parse_seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a number of seconds"))?;
    if !(seconds > 0.0 && seconds <= 86_400.0) {
        return Err(format!(
            "{text} seconds is out of range; give a number above 0 and at most 86400"
        ));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sign in with ChatGPT (browser, or a device code for SSH and busy ports).
    Login(LoginArgs),
    /// Sign out: revoke the sign-in and forget it.
    Logout,
    /// Who is signed in.
    Status(JsonFlag),
    /// The models your plan offers.
    Models(JsonFlag),
    /// Stream an answer to a prompt.
    Chat(ChatArgs),
    /// Your plan's usage limits, as last reported by the backend.
    Usage(JsonFlag),
    /// Run the embedded emulator of the issuer and backend until killed.
    Emulator(EmulatorArgs),
    /// Everything, offline, against the embedded emulator: sign in, models, a chat with
    /// reasoning and a tool call, usage, a refresh, sign out.
    Demo,
}

/// `login --route`: which way to reach the plan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RouteArg {
    /// Sign in with ChatGPT, the route OpenAI documents for open-source apps (Plus and Pro).
    #[default]
    #[value(name = "siwc", alias = "sign-in-with-chatgpt", alias = "official")]
    Siwc,
    /// The Codex CLI's route: for Business, Enterprise, Edu and Free plans, for the device-code
    /// sign-in, or when Sign in with ChatGPT refuses the account.
    Codex,
}

/// `login` options.
#[derive(Debug, Args)]
pub struct LoginArgs {
    /// The route: `siwc` (Sign in with ChatGPT, the default) or `codex` (the Codex CLI's
    /// route, for Business/Enterprise/Edu/Free plans or when Sign in with ChatGPT refuses the
    /// account). `--device` implies `codex`.
    #[arg(long, env = ENV_ROUTE, value_enum)]
    pub route: Option<RouteArg>,
    /// Print the sign-in URL instead of opening a browser.
    #[arg(long)]
    pub no_browser: bool,
    /// Sign in with a device code (for SSH, containers, WSL, or when ports 1455 and 1457 are
    /// busy); the Codex route's only.
    #[arg(long)]
    pub device: bool,
}

/// `--json`.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `chat` options.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The model's slug (default: the catalog's first model).
    #[arg(long)]
    pub model: Option<String>,
    /// The reasoning effort (one the model supports).
    #[arg(long)]
    pub effort: Option<String>,
    /// One JSON object per completion event per line.
    #[arg(long)]
    pub json: bool,
    /// Fast mode: the model's priority tier, for models that offer it (others answer at their
    /// usual speed).
    #[arg(long)]
    pub fast: bool,
    /// Continue the conversation saved in FILE (created if missing): its turns are sent first,
    /// and the new turn is appended to it. The format is described in `cli::thread_file`.
    #[arg(long, value_name = "FILE")]
    pub thread: Option<PathBuf>,
    /// Compact the thread first: the backend's compacted context replaces its earlier turns on
    /// later requests (appended to the file as a `compaction` entry). Needs `--thread`.
    #[arg(long, requires = "thread")]
    pub compact: bool,
    /// One thread, a turn per line of standard input, until it ends: over the WebSocket
    /// transport, every turn after the first sends only its new message.
    #[arg(long, conflicts_with = "compact")]
    pub interactive: bool,
    /// The prompt (optional with `--compact` or `--interactive`).
    #[arg(required_unless_present_any = ["compact", "interactive"], num_args = 1..)]
    pub prompt: Vec<String>,
}

/// `emulator` options.
#[derive(Debug, Args)]
pub struct EmulatorArgs {
    /// The port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compression_is_on_by_default_and_can_be_turned_off() {
        let parse = |args: &[&str]| {
            RequestCompression::from(
                Cli::try_parse_from(args)
                    .unwrap()
                    .global
                    .request_compression,
            )
        };
        // The environment may set the option for the whole test process: only assert the default
        // when it does not.
        if std::env::var_os(ENV_REQUEST_COMPRESSION).is_none() {
            assert_eq!(
                parse(&["openai-subscribed", "status"]),
                RequestCompression::Zstd
            );
        }
        assert_eq!(
            parse(&[
                "openai-subscribed",
                "--request-compression",
                "none",
                "status"
            ]),
            RequestCompression::None
        );
        assert!(
            Cli::try_parse_from([
                "openai-subscribed",
                "--request-compression",
                "gzip",
                "status"
            ])
            .is_err()
        );
    }
}
