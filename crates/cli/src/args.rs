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

/// Environment variable for `--account` (a label, email or id of a signed-in account).
pub const ENV_ACCOUNT: &str = "OPENAI_SUBSCRIBED_ACCOUNT";

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

/// Where to sign in, where to send requests, and where to keep the sign-in. Listed under their
/// own heading, after each command's own options; a command's help shows only the ones it uses
/// ([`GLOBAL_OPTIONS_UNUSED`]).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// The OAuth issuer.
    #[arg(long, global = true, env = ENV_AUTH_URL, value_name = "URL", default_value = config::DEFAULT_ISSUER)]
    pub auth_url: String,
    /// The subscription backend.
    #[arg(long, global = true, env = ENV_BACKEND_URL, value_name = "URL", default_value = config::DEFAULT_BACKEND)]
    pub backend_url: String,
    /// The official route's issuer ("Sign in with ChatGPT"); its endpoints come from its
    /// discovery document.
    #[arg(long, global = true, env = ENV_SIWC_AUTH_URL, default_value = config::DEFAULT_OFFICIAL_ISSUER)]
    pub siwc_auth_url: String,
    /// The official route's API base (`/v1/models`, `/v1/responses`).
    #[arg(long, global = true, env = ENV_SIWC_API_URL, default_value = config::DEFAULT_OFFICIAL_API)]
    pub siwc_api_url: String,
    /// Where the sign-in is kept: the OS keychain, a 0600 file, or memory (gone at exit).
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_STORE", value_enum, default_value_t = StoreArg::Auto)]
    pub store: StoreArg,
    /// The file used by the file store [default: chatgpt-credentials.json in your config
    /// directory; `status` names it].
    #[arg(
        long,
        global = true,
        env = "OPENAI_SUBSCRIBED_STORE_PATH",
        value_name = "FILE"
    )]
    pub store_path: Option<PathBuf>,
    /// The client version sent to the model catalog: `0.0.0` asks for the whole catalog; any
    /// other version gets only the models the backend serves to it.
    #[arg(long, global = true, env = ENV_CLIENT_VERSION, value_name = "VERSION", default_value = config::CLIENT_VERSION)]
    pub client_version: String,
    /// Seconds to wait for the backend to start answering a chat request.
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_FIRST_BYTE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds, default_value = "120")]
    pub first_byte_timeout: Duration,
    /// Seconds of silence on the connection after which a streaming answer is given up.
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_STREAM_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds, default_value = "90")]
    pub stream_idle_timeout: Duration,
    /// Seconds without progress (keep-alive messages do not count) after which a streaming
    /// answer is given up.
    #[arg(long, global = true, env = "OPENAI_SUBSCRIBED_EVENT_IDLE_TIMEOUT", value_name = "SECONDS", value_parser = parse_seconds, default_value = "300")]
    pub event_idle_timeout: Duration,
    /// How request bodies are sent: zstd-compressed (falling back to plain JSON if the backend
    /// refuses it) or plain JSON.
    #[arg(long, global = true, env = ENV_REQUEST_COMPRESSION, value_name = "HOW", value_enum, default_value_t = CompressionArg::Zstd)]
    pub request_compression: CompressionArg,
    /// How answers are asked for: a WebSocket per thread, each turn sending only its new items
    /// (falling back to HTTP where the backend refuses it), or HTTP with the whole thread each turn.
    #[arg(long, global = true, env = ENV_TRANSPORT, value_enum, default_value_t = TransportArg::Websocket)]
    pub transport: TransportArg,
    /// Usage shares (percent, comma-separated) past which `chat` prints a warning line before it
    /// sends and `usage` marks the window; `off` for none. Never blocks a request.
    #[arg(long, global = true, env = ENV_WARN_AT, value_name = "PERCENTS", default_value = "80,95", value_parser = parse_thresholds)]
    pub warn_at: UsageWarningThresholds,
    /// Which signed-in account to use, for this command only (a label, email or id from
    /// `openai-subscribed accounts`) [default: the active account].
    #[arg(long, global = true, env = ENV_ACCOUNT, value_name = "LABEL|ID")]
    pub account: Option<String>,
}

/// `--warn-at 80,95`.
fn parse_thresholds(text: &str) -> Result<UsageWarningThresholds, String> {
    UsageWarningThresholds::parse(text)
}

impl GlobalArgs {
    /// The stall limits (their defaults are [`StreamTimeouts::DEFAULT`]'s, which a test checks).
    pub fn stream_timeouts(&self) -> StreamTimeouts {
        StreamTimeouts {
            first_byte: self.first_byte_timeout,
            between_chunks: self.stream_idle_timeout,
            between_events: self.event_idle_timeout,
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
    /// Sign out of the active account (or `--account`): revoke its sign-in and forget it.
    Logout,
    /// The signed-in accounts; switch the active one, or remove one.
    Accounts(AccountsArgs),
    /// Who is signed in.
    Status(JsonFlag),
    /// The models your plan offers.
    Models(JsonFlag),
    /// Stream an answer to a prompt.
    Chat(ChatArgs),
    /// Your plan's usage limits, asked of the backend now (the last known ones if it cannot
    /// answer).
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

/// The global options each command does not use, by their ids (the field names): its help
/// leaves them out (they are still accepted, so an option given before any command never fails
/// a command that ignores it). A new global option is listed everywhere until added here.
pub const GLOBAL_OPTIONS_UNUSED: &[(&str, Unused)] = &[
    ("login", Unused::These(SIGN_IN_UNUSED)),
    ("logout", Unused::These(SIGN_OUT_UNUSED)),
    ("status", Unused::These(STATUS_UNUSED)),
    ("models", Unused::These(SIGN_IN_UNUSED)),
    ("usage", Unused::These(USAGE_UNUSED)),
    ("accounts", Unused::These(ACCOUNTS_UNUSED)),
    ("emulator", Unused::All),
    ("demo", Unused::All),
];

/// Which global options a command leaves out of its help.
#[derive(Clone, Copy, Debug)]
pub enum Unused {
    /// Every one: the command runs on its own terms (`emulator`, `demo`).
    All,
    /// These ids.
    These(&'static [&'static str]),
}

/// What only shapes a streamed answer (and the warning printed before one), unused by `login`
/// and `models`.
const SIGN_IN_UNUSED: &[&str] = &[
    "first_byte_timeout",
    "stream_idle_timeout",
    "event_idle_timeout",
    "request_compression",
    "transport",
    "warn_at",
];
const SIGN_OUT_UNUSED: &[&str] = &[
    "client_version",
    "first_byte_timeout",
    "stream_idle_timeout",
    "event_idle_timeout",
    "request_compression",
    "transport",
    "warn_at",
];
/// `usage` marks the windows past the warning thresholds: it keeps `--warn-at`.
const USAGE_UNUSED: &[&str] = &[
    "client_version",
    "first_byte_timeout",
    "stream_idle_timeout",
    "event_idle_timeout",
    "request_compression",
    "transport",
];
/// `accounts` names its account itself; `remove` revokes on either route's issuer.
const ACCOUNTS_UNUSED: &[&str] = &[
    "backend_url",
    "siwc_api_url",
    "client_version",
    "first_byte_timeout",
    "stream_idle_timeout",
    "event_idle_timeout",
    "request_compression",
    "transport",
    "warn_at",
    "account",
];
const STATUS_UNUSED: &[&str] = &[
    "backend_url",
    "siwc_api_url",
    "client_version",
    "first_byte_timeout",
    "stream_idle_timeout",
    "event_idle_timeout",
    "request_compression",
    "transport",
    "warn_at",
];

/// The command line's definition: [`Cli`]'s, with each command's help showing only the global
/// options it uses ([`GLOBAL_OPTIONS_UNUSED`]).
pub fn command() -> clap::Command {
    use clap::CommandFactory as _;
    let mut command = Cli::command();
    let globals: Vec<clap::Arg> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set())
        .cloned()
        .collect();
    for (name, unused) in GLOBAL_OPTIONS_UNUSED {
        let hidden: Vec<clap::Arg> = globals
            .iter()
            .filter(|arg| match unused {
                Unused::All => true,
                Unused::These(ids) => ids.contains(&arg.get_id().as_str()),
            })
            .map(|arg| arg.clone().hide(true))
            .collect();
        // A subcommand that has its own copy of a global option keeps it (clap does not copy the
        // global one over it): the copy is the same option, hidden.
        command = command.mut_subcommand(*name, |subcommand| subcommand.args(hidden));
    }
    command
}

/// Parses the process's arguments with [`command`] (exits with clap's message and code 2 on a
/// usage error, as clap does).
pub fn parse() -> Cli {
    use clap::FromArgMatches as _;
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit())
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

/// `accounts [list|switch|remove]`.
#[derive(Debug, Args)]
pub struct AccountsArgs {
    /// What to do [default: list].
    #[command(subcommand)]
    pub action: Option<AccountsAction>,
    /// Print JSON instead of text (the list).
    #[arg(long)]
    pub json: bool,
}

/// `accounts` actions.
#[derive(Debug, Subcommand)]
pub enum AccountsAction {
    /// List the signed-in accounts, marking the active one.
    List,
    /// Make another signed-in account the active one.
    Switch {
        /// Its label, email or id.
        #[arg(value_name = "LABEL|ID")]
        name: String,
    },
    /// Sign out of one account (revoked and forgotten); the others stay signed in.
    Remove {
        /// Its label, email or id.
        #[arg(value_name = "LABEL|ID")]
        name: String,
    },
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
    /// The model's slug [default: the first model of your plan's list].
    #[arg(long, value_name = "SLUG")]
    pub model: Option<String>,
    /// The reasoning effort (one the model supports) [default: the model's own].
    #[arg(long, value_name = "EFFORT")]
    pub effort: Option<String>,
    /// One JSON object per completion event per line.
    #[arg(long)]
    pub json: bool,
    /// Fast mode: the model's priority tier, for models that offer it (others answer at their
    /// usual speed).
    #[arg(long)]
    pub fast: bool,
    /// Continue the conversation saved in FILE (created if missing): its turns are sent first,
    /// and the new turn is appended to it (a JSON file of the thread's id and turns).
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
    /// Offer the model the function tools listed in FILE (a JSON list of `{"name",
    /// "description", "parameters", "result"}`); a call of a tool with a `result` is answered
    /// with it and the answer goes on.
    #[arg(long, value_name = "FILE")]
    pub tool_file: Option<PathBuf>,
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
    fn the_timeouts_default_to_the_products_stall_limits() {
        let cli = Cli::try_parse_from(["openai-subscribed", "status"]).unwrap();
        if ["FIRST_BYTE", "STREAM_IDLE", "EVENT_IDLE"]
            .iter()
            .all(|name| std::env::var_os(format!("OPENAI_SUBSCRIBED_{name}_TIMEOUT")).is_none())
        {
            assert_eq!(cli.global.stream_timeouts(), StreamTimeouts::DEFAULT);
        }
    }

    #[test]
    fn every_command_named_in_the_unused_table_exists() {
        let command = command();
        for (name, unused) in GLOBAL_OPTIONS_UNUSED {
            let subcommand = command.find_subcommand(name).expect(name);
            if let Unused::These(ids) = unused {
                for id in *ids {
                    assert!(
                        subcommand.get_arguments().any(|arg| arg.get_id() == *id),
                        "{name}: {id}"
                    );
                }
            }
        }
    }

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
