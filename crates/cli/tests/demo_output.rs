//! The offline demo prints the same thing every time: each step's lines inside that step (no
//! line from a task nothing waits for), the same lines whatever raced, in the same order. Only
//! the clock and the emulator's port differ between runs, and the test masks exactly those.

use emulator::callback_ports;
use regex::Regex;
use std::process::{Command, Stdio};

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{BIN, finish, text};

/// How many runs must agree.
const RUNS: usize = 10;

/// The demo's stdout with times and ports masked.
fn normalised(out: &str) -> String {
    let masks = [
        // Ports of the emulator (and of the loopback callback).
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        // Dates and times, and the weekday form of a reset ("Fri 11 Dec").
        (r"\d{4}-\d{2}-\d{2}", "DATE"),
        (r"\b\d{2}:\d{2}\b", "HH:MM"),
        (
            r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} [A-Z][a-z]{2}\b",
            "DAY",
        ),
        // How long until a reset ("in 1h 0m", "in 59m", "in 5d 0h").
        (r"\(in [0-9dhms ]+\)", "(in TIME)"),
    ];
    masks.iter().fold(out.to_string(), |text, (pattern, mask)| {
        Regex::new(pattern)
            .unwrap()
            .replace_all(&text, *mask)
            .into_owned()
    })
}

fn demo(dir: &std::path::Path) -> String {
    let output = finish(
        Command::new(BIN)
            .arg("demo")
            .env("XDG_CACHE_HOME", dir)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let out = text(&output.stdout);
    assert!(output.status.success(), "{out}\n{}", text(&output.stderr));
    out
}

#[test]
fn ten_demo_runs_print_the_same_output_apart_from_times_and_ports() {
    // The demo signs in on the issuer's fixed ports, which other test binaries use too.
    let _ports = callback_ports::PortLock::acquire();
    let dir = tempfile::tempdir().unwrap();
    let first = normalised(&demo(dir.path()));
    // The lines whose place used to vary: the browser's report inside step 2, the account line
    // alone there, and no second name for the built-in model list.
    let step = |n: usize| first.find(&format!("[{n}/7]")).unwrap();
    let browser = first.find("browser: the callback page says").unwrap();
    assert!(step(2) < browser && browser < step(3), "{first}");
    let step_2 = &first[step(2)..step(3)];
    assert!(
        !step_2.contains("limit"),
        "usage belongs to step 5:\n{step_2}"
    );
    assert!(!first.contains("fallback"), "{first}");
    assert!(
        !first.contains("**"),
        "reasoning is rendered, not raw Markdown:\n{first}"
    );
    assert!(!first.contains("……"), "{first}");
    for run in 1..RUNS {
        let again = normalised(&demo(dir.path()));
        assert_eq!(again, first, "run {} differs from run 1", run + 1);
    }
}
