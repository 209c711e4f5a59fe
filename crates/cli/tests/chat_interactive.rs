//! `chat --interactive`: one process, one thread, a turn per line of standard input. Over the
//! WebSocket transport the thread is pre-warmed while the first line is typed, and every turn
//! chains on the one before: frames after the first carry only the new message.

#[path = "shared/cli_process.rs"]
mod cli_process;

use emulator::Emulator;
use std::io::Write as _;
use std::process::Stdio;

#[test]
fn an_interactive_chat_chains_its_turns_on_one_socket() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());
    let mut child = cli_process::cli(&emulator, dir.path())
        .args(["chat", "--interactive"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"one\n\ntwo\nthree\n")
        .unwrap();
    let output = cli_process::finish(child);
    assert!(
        output.status.success(),
        "{}",
        cli_process::text(&output.stderr)
    );
    let stdout = cli_process::text(&output.stdout);
    for turn in ["one", "two", "three"] {
        assert!(
            stdout.contains(&format!("You said: {turn}")),
            "{stdout}\n{}",
            cli_process::text(&output.stderr)
        );
    }

    let frames = emulator.websocket_frames();
    assert_eq!(frames.len(), 4, "{frames:#?}");
    assert!(frames[0].is_prewarm(), "the pre-warm first");
    assert_eq!(frames[0].input_len(), 0);
    assert!(frames.iter().all(|frame| frame.socket == frames[0].socket));
    for frame in &frames[1..] {
        assert!(!frame.is_prewarm());
        assert!(frame.previous_response_id().is_some(), "{frame:#?}");
        assert_eq!(frame.input_len(), 1, "only the new message: {frame:#?}");
    }
    assert_eq!(emulator.stats().responses_requests, 3);
}

#[test]
fn the_transport_option_selects_http() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    cli_process::signed_in(&emulator, dir.path());
    cli_process::run_ok(
        cli_process::cli(&emulator, dir.path())
            .env("OPENAI_SUBSCRIBED_TRANSPORT", "http")
            .args(["chat", "hello"]),
    );
    assert!(emulator.websocket_handshakes().is_empty());
    cli_process::run_ok(cli_process::cli(&emulator, dir.path()).args([
        "--transport",
        "websocket",
        "chat",
        "hello",
    ]));
    assert_eq!(emulator.websocket_handshakes().len(), 1);
    assert_eq!(emulator.stats().responses_requests, 2);
}
