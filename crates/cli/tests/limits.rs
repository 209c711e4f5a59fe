//! Limits a user can plan around, from the command line: `chat` prints one warning line before
//! it sends once a window is past a threshold (`--warn-at`, 80 % and 95 % by default), never
//! blocking the request; a refusal names the window that ran out; `usage` marks it and shows no
//! credits line for an account without credits. The real binary, against the embedded emulator.

use emulator::{Emulator, Fault, UsageLevels};
use std::process::Output;

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{cli, finish, signed_in, text};

fn run(command: &mut std::process::Command) -> Output {
    finish(command.spawn().expect("the binary starts"))
}

fn setup(five_hour: f64, weekly: f64) -> (Emulator, tempfile::TempDir) {
    let emulator = Emulator::start().unwrap();
    emulator.set_usage_levels(Some(UsageLevels {
        five_hour_used_percent: five_hour,
        weekly_used_percent: weekly,
    }));
    let dir = tempfile::tempdir().unwrap();
    signed_in(&emulator, dir.path());
    (emulator, dir)
}

fn warning_lines(output: &Output) -> Vec<String> {
    text(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("warning: "))
        .map(String::from)
        .collect()
}

#[test]
fn below_80_chat_prints_no_warning() {
    let (emulator, dir) = setup(20.0, 79.0);
    let chat = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert!(chat.status.success(), "{}", text(&chat.stderr));
    assert_eq!(warning_lines(&chat), Vec::<String>::new());
}

#[test]
fn past_80_chat_warns_once_before_it_sends_and_still_answers() {
    let (emulator, dir) = setup(20.0, 93.0);
    let chat = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert!(chat.status.success(), "{}", text(&chat.stderr));
    let warnings = warning_lines(&chat);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("warning: Weekly limit at 93 %, past your 80 % warning; resets "),
        "{warnings:?}"
    );
    assert!(text(&chat.stdout).contains("hi"), "{}", text(&chat.stdout));
    assert_eq!(emulator.stats().responses_requests, 1);
}

#[test]
fn past_95_chat_names_the_higher_threshold() {
    let (emulator, dir) = setup(97.0, 10.0);
    let chat = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert!(chat.status.success(), "{}", text(&chat.stderr));
    let warnings = warning_lines(&chat);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("warning: 5-hour limit at 97 %, past your 95 % warning; resets "),
        "{warnings:?}"
    );
}

#[test]
fn warn_at_sets_the_thresholds_and_off_silences_them() {
    let (emulator, dir) = setup(20.0, 60.0);
    let chat = run(cli(&emulator, dir.path()).args(["--warn-at", "50", "chat", "hi"]));
    assert!(chat.status.success(), "{}", text(&chat.stderr));
    let warnings = warning_lines(&chat);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("past your 50 % warning"),
        "{warnings:?}"
    );

    let (emulator, dir) = setup(99.0, 99.0);
    let chat = run(cli(&emulator, dir.path())
        .env("OPENAI_SUBSCRIBED_WARN_AT", "off")
        .args(["chat", "hi"]));
    assert!(chat.status.success(), "{}", text(&chat.stderr));
    assert_eq!(warning_lines(&chat), Vec::<String>::new());

    let bad = run(cli(&emulator, dir.path()).args(["--warn-at", "120", "chat", "hi"]));
    assert!(!bad.status.success());
    assert!(
        text(&bad.stderr).contains("between 0 and 100"),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn a_weekly_refusal_with_the_five_hour_window_at_99_names_the_weekly_window() {
    let (emulator, dir) = setup(99.0, 100.0);
    emulator.inject(Fault::ResponsesWindowLimit {
        window_minutes: 10_080,
        resets_in_secs: (4 * 24 + 23) * 3600 + 30,
        other_used_percent: 99.0,
    });
    let chat = run(cli(&emulator, dir.path()).args(["chat", "hi"]));
    assert!(!chat.status.success());
    let stderr = text(&chat.stderr);
    let named = stderr
        .lines()
        .find(|line| line.starts_with("Weekly limit reached — resets "))
        .unwrap_or_else(|| panic!("no line names the weekly window: {stderr}"));
    assert!(
        named.ends_with("(in 4d 23h); your 5-hour window is at 99 %"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "error: ChatGPT Plus usage limit reached; resets at the end of your weekly window \
             (your 5-hour window is at 99 %): "
        ),
        "{stderr}"
    );

    // `usage` names the window and marks its bar, and shows no credits line.
    let usage = run(cli(&emulator, dir.path()).arg("usage"));
    let stdout = text(&usage.stdout);
    let weekly = stdout
        .lines()
        .find(|line| line.starts_with("Weekly limit ["))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(weekly.ends_with("← ran out"), "{stdout}");
    assert!(
        stdout.starts_with("Weekly limit reached — resets "),
        "{stdout}"
    );
    assert!(!stdout.contains("Credits"), "{stdout}");
}

#[test]
fn usage_warns_past_a_threshold_and_hides_zero_credits() {
    let (emulator, dir) = setup(20.0, 85.0);
    let usage = run(cli(&emulator, dir.path()).arg("usage"));
    assert!(usage.status.success(), "{}", text(&usage.stderr));
    let stdout = text(&usage.stdout);
    assert!(
        stdout.contains("warning: Weekly limit at 85 %, past your 80 % warning; resets "),
        "{stdout}"
    );
    assert!(!stdout.contains("Credits"), "{stdout}");
}
