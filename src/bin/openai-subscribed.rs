//! The `openai-subscribed` command (see [`openai_subscribed::cli`]).

fn main() -> std::process::ExitCode {
    openai_subscribed::cli::main()
}
