//! The `openai-subscribed` command line.
//!
//! Every subcommand except `emulator` runs inside a headless gpui application
//! ([`headless::run_headless`]) and drives the same provider code Zed does: the provider's
//! [`State`](openai_subscribed::provider::State), the auth state machine, the model catalog and the Responses
//! streamer. There is no second implementation of any step here, only printing.
//!
//! | command | module |
//! |---|---|
//! | `login [--no-browser] [--device]`, `logout`, `status [--json]` | [`account`] |
//! | `accounts [list\|switch\|remove] [--json]` | [`accounts`] |
//! | `models [--json]` | [`models`], [`model_listing`] |
//! | `chat [--model] [--effort] [--json] [--fast] [--thread FILE [--compact]] PROMPT` | [`chat`], [`thread_file`] |
//! | `usage [--json]` | [`usage`] |
//! | `emulator [--port N]` | [`emulator_command`] |
//! | `demo` | [`demo`] |
//!
//! Shared by the commands: [`args`] (the options; each command's help lists the global options
//! it uses), [`output`] (printing that never panics), [`reasoning_text`] (reasoning's Markdown
//! for a terminal), [`local_time`] (times labelled with their zone), [`headless`] (the app and
//! the wait for renewals), [`stop_signal`].

pub mod account;
pub mod accounts;
pub mod args;
pub mod chat;
pub mod context;
pub mod demo;
pub mod emulator_command;
pub mod event_json;
pub mod headless;
pub mod local_time;
pub mod model_listing;
pub mod models;
pub mod output;
pub mod reasoning_text;
pub mod spinner;
pub mod stop_signal;
pub mod thread_file;
pub mod tool_file;
pub mod usage;
pub mod wait;

use args::Command;
use std::process::ExitCode;

/// Parses the arguments, runs the command and returns the process's exit code.
pub fn main() -> ExitCode {
    let cli = args::parse();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();

    match cli.command {
        // The emulator and the demo run on their own terms: the global options (a bad
        // `--auth-url` in the environment, say) are not their business.
        Command::Emulator(args) => emulator_command::run(args),
        Command::Demo => demo::run(),
        command => {
            let context = match context::CommandContext::from_args(&cli.global) {
                Ok(context) => context,
                Err(error) => {
                    output::errln!("error: {}", headless::one_line(&error));
                    return ExitCode::FAILURE;
                }
            };
            run_headless_command(context, command)
        }
    }
}

/// Runs one of the commands that drive the provider, with the global options resolved.
fn run_headless_command(context: context::CommandContext, command: Command) -> ExitCode {
    match command {
        Command::Login(args) => {
            context.run(async move |context, cx| account::login(context, args, cx).await)
        }
        Command::Logout => context.run(async move |context, cx| account::logout(context, cx).await),
        Command::Accounts(args) => {
            context.run(async move |context, cx| accounts::run(context, args, cx).await)
        }
        Command::Status(flag) => {
            context.run(async move |context, cx| account::status(context, flag.json, cx).await)
        }
        Command::Models(flag) => {
            context.run(async move |context, cx| models::list(context, flag.json, cx).await)
        }
        Command::Chat(args) => {
            context.run(async move |context, cx| chat::chat(context, args, cx).await)
        }
        Command::Usage(flag) => {
            context.run(async move |context, cx| usage::show(context, flag.json, cx).await)
        }
        Command::Emulator(args) => emulator_command::run(args),
        Command::Demo => demo::run(),
    }
}
