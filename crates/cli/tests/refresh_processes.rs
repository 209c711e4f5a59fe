//! Renewals across real processes: the `openai-subscribed` binary, several copies at once, one
//! file store, against the embedded emulator (started in this test process; its issuer really
//! rotates refresh tokens and refuses a spent one with `refresh_token_reused`).
//!
//! - **Soak:** rounds of N processes started together, each round with an access token inside
//!   the renewal margin and a slow issuer: every process succeeds, the issuer sees exactly one
//!   refresh per round (the others wait on the store's refresh lock and adopt), and the store
//!   ends signed in.
//! - **A process killed mid-refresh** (SIGKILL while its request waits at the issuer): the others
//!   end signed in, or — where the issuer had already spent the token — each says "sign in
//!   again", and nothing else is lost.
//! - **`login` finishes the refresh it starts** when the issuer hands out an access token already
//!   inside the renewal margin.
//! - **Sign-out wins:** a `logout` while another process's refresh is in flight stays signed out.
//! - **A renewal that cannot be stored** fails the command, saying where and why, after the
//!   command has used the new tokens.
//! - **A signal mid-refresh** (Ctrl-C, SIGTERM, SIGHUP) waits for the answer and stores it, then
//!   exits with the signal's status (130, 143, 129); a second signal exits at once; a signal with
//!   no renewal in flight just says "interrupted".
//!
//! Sized for two loaded cores: every wait is bounded, every child is killed if it overstays.

use emulator::callback_ports;
#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{approve, cli, finish, store_path, store_sign_in, stored, text, wait_until};
use emulator::{Emulator, EmulatorOptions, RedirectPorts};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// Processes started together in each round.
const PROCESSES: usize = 5;
/// Rounds of the soak test.
const ROUNDS: usize = 3;

#[test]
fn processes_started_together_refresh_once_per_round_and_stay_signed_in() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Every request to the issuer waits, so all processes want to renew while one is renewing.
    emulator.set_token_delay(Duration::from_millis(300));

    for round in 0..ROUNDS {
        // A fresh sign-in whose access token is inside the 5-minute renewal margin.
        let minted = emulator.mint_tokens(60);
        store_sign_in(dir.path(), &minted);
        let before = emulator.stats().refreshes;

        let children: Vec<Child> = (0..PROCESSES)
            .map(|_| {
                cli(&emulator, dir.path())
                    .args(["chat", "hi"])
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let output = finish(child);
            assert!(
                output.status.success(),
                "round {round}: a process failed ({}):\n{}",
                output.status,
                text(&output.stderr)
            );
            assert!(
                text(&output.stdout).contains("hi"),
                "{}",
                text(&output.stdout)
            );
        }

        let refreshes = emulator.stats().refreshes - before;
        assert_eq!(
            refreshes, 1,
            "round {round}: the issuer saw {refreshes} refreshes"
        );
        let record = stored(dir.path()).expect("the store ends signed in");
        assert_ne!(record.refresh_token.secret(), minted.refresh_token);
    }

    let status = finish(
        cli(&emulator, dir.path())
            .args(["status", "--json"])
            .spawn()
            .unwrap(),
    );
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(value["signed_in"], true, "{value}");
}

#[cfg(unix)]
#[test]
fn a_process_killed_mid_refresh_loses_nothing_else() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let minted = emulator.mint_tokens(60);
    store_sign_in(dir.path(), &minted);
    // Long enough to kill the renewing process while its request waits at the issuer.
    emulator.set_token_delay(Duration::from_secs(2));
    let before = emulator.stats().token_requests;

    let mut children: Vec<Child> = (0..PROCESSES)
        .map(|_| {
            cli(&emulator, dir.path())
                .args(["chat", "hi"])
                .spawn()
                .unwrap()
        })
        .collect();
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "no process asked the issuer"
    );
    // The process holding the refresh lock is the one whose request is at the issuer.
    let lock = dir.path().join("credentials.json.lock");
    let holder: u32 = std::fs::read_to_string(&lock)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let index = children
        .iter()
        .position(|child| child.id() == holder)
        .expect("the lock holder is one of the children");
    let mut killed = children.remove(index);
    killed.kill().unwrap(); // SIGKILL
    killed.wait().unwrap();
    emulator.set_token_delay(Duration::from_millis(100));

    let outputs: Vec<Output> = children.into_iter().map(finish).collect();
    match stored(dir.path()) {
        // The issuer had not spent the token (or a survivor renewed it): everyone is signed in.
        Some(record) => {
            assert_ne!(record.refresh_token.secret(), minted.refresh_token);
            for output in &outputs {
                assert!(output.status.success(), "{}", text(&output.stderr));
            }
        }
        // The issuer spent the token for the killed process: the session has really ended, and
        // every other process says so in words.
        None => {
            for output in &outputs {
                let stderr = text(&output.stderr);
                assert!(!output.status.success(), "{stderr}");
                assert!(stderr.contains("sign in again"), "{stderr}");
            }
        }
    }
    // No temporary file is left behind by the killed writer or the others.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_sign_out_during_another_process_refresh_stays_signed_out() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    store_sign_in(dir.path(), &emulator.mint_tokens(60));
    emulator.set_token_delay(Duration::from_secs(2));
    let before = emulator.stats().token_requests;

    let models = cli(&emulator, dir.path()).arg("models").spawn().unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "the refresh was not sent"
    );
    // The logout's revocation does not reach the issuer (as when it is unreachable), so the
    // refresh in flight is answered with new tokens after the sign-out.
    let logout = finish(
        cli(&emulator, dir.path())
            .env("OPENAI_SUBSCRIBED_AUTH_URL", unreachable_issuer())
            .arg("logout")
            .spawn()
            .unwrap(),
    );
    assert!(logout.status.success(), "{}", text(&logout.stderr));
    assert!(stored(dir.path()).is_none());

    // The refresh's answer arrives after the sign-out: it is revoked, not written back.
    let models = finish(models);
    let said = text(&models.stderr);
    assert!(
        stored(dir.path()).is_none(),
        "the sign-out was undone: {said}"
    );
    let status = finish(
        cli(&emulator, dir.path())
            .args(["status", "--json"])
            .spawn()
            .unwrap(),
    );
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(value["signed_in"], false, "{value}");
    let stats = emulator.stats();
    assert_eq!(stats.refreshes, 1, "{stats:?}");
    assert_eq!(
        stats.revocations, 1,
        "the new tokens were not revoked: {stats:?}"
    );
    assert!(said.contains("sign in again"), "{said}");
}

/// An issuer URL where nothing listens.
fn unreachable_issuer() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("http://127.0.0.1:{port}")
}

/// A child that cannot write any byte to a file (RLIMIT_FSIZE = 0, SIGXFSZ ignored so the write
/// fails with EFBIG instead of killing it): a full disk, as root cannot be denied by permissions.
#[cfg(unix)]
fn without_disk_space(command: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        })
    }
}

#[cfg(unix)]
#[test]
fn a_renewal_that_cannot_be_stored_fails_the_command_after_using_it() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let minted = emulator.mint_tokens(60);
    store_sign_in(dir.path(), &minted);

    let mut command = cli(&emulator, dir.path());
    command.args(["chat", "hello", "there"]);
    let chat = finish(without_disk_space(&mut command).spawn().unwrap());
    let stderr = text(&chat.stderr);
    // The answer came, with the renewed tokens held in memory…
    assert!(text(&chat.stdout).contains("hello there"), "{stderr}");
    assert_eq!(emulator.stats().refreshes, 1);
    // …and the command says that they were not saved, and fails.
    assert!(!chat.status.success(), "{stderr}");
    let expected = format!(
        "Your new ChatGPT sign-in could not be saved to the credentials file {}",
        store_path(dir.path()).display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    // The old record is untouched (not half-written), and no temporary file is left.
    assert_eq!(
        stored(dir.path()).unwrap().refresh_token.secret(),
        minted.refresh_token
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn login_stores_the_answer_of_the_refresh_it_sends_right_after_signing_in() {
    use std::io::{BufRead as _, BufReader};
    // `login` binds the issuer's real callback ports: hold the shared lock.
    let _ports = callback_ports::PortLock::acquire();
    // The issuer hands out access tokens that are already inside the 5-minute renewal margin,
    // and answers slowly: the refresh `login` sends right after signing in is still in flight
    // when the sign-in itself is done.
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        access_token_lifetime: Duration::from_secs(60),
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut login = cli(&emulator, dir.path())
        .args(["login", "--no-browser"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    emulator.set_token_delay(Duration::from_millis(700));
    assert_eq!(approve(&url), 200);
    let login = finish(login);
    assert!(login.status.success(), "{}", text(&login.stderr));
    // Whether `login` renewed before it ended or left it to the next command, the stored
    // refresh token is the live one.
    let refreshes = emulator.stats().refreshes;

    // The stored refresh token is the live one: the next command renews with it and works.
    let models = finish(
        cli(&emulator, dir.path())
            .args(["models", "--json"])
            .spawn()
            .unwrap(),
    );
    assert!(models.status.success(), "{}", text(&models.stderr));
    let listing: serde_json::Value = serde_json::from_slice(&models.stdout).unwrap();
    assert_eq!(listing["source"], "network", "{}", text(&models.stderr));
    assert!(emulator.stats().refreshes > refreshes);
}

/// Sends `signal` to a `models` whose refresh the issuer holds, and checks that the process
/// waited for the answer, stored it, and exited with `code` (128 + the signal's number); the next
/// command is signed in.
#[cfg(unix)]
fn a_signal_during_a_refresh_waits_for_its_answer_and_stores_it(signal: i32, code: i32) {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let minted = emulator.mint_tokens(60);
    store_sign_in(dir.path(), &minted);
    emulator.set_token_delay(Duration::from_secs(1));
    let before = emulator.stats().token_requests;

    let models = cli(&emulator, dir.path()).arg("models").spawn().unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "the refresh was not sent"
    );
    // SAFETY: signals our own child, which has not been waited for (its pid is still its own).
    assert_eq!(unsafe { libc::kill(models.id() as i32, signal) }, 0);
    let models = finish(models);
    let stderr = text(&models.stderr);
    assert_eq!(models.status.code(), Some(code), "{stderr}");
    assert!(
        stderr.contains("interrupted")
            && stderr.contains("waiting for the session renewal in flight to finish"),
        "{stderr}"
    );
    // The answer to the refresh that had been sent was stored before the process ended.
    let record = stored(dir.path()).expect("still signed in");
    assert_ne!(
        record.refresh_token.secret(),
        minted.refresh_token,
        "{stderr}"
    );
    assert_eq!(emulator.stats().refreshes, 1);

    // The next command finds the live sign-in.
    let status = finish(
        cli(&emulator, dir.path())
            .args(["status", "--json"])
            .spawn()
            .unwrap(),
    );
    let value: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(value["signed_in"], true, "{value}");
}

/// An editor does not wait for renewals before it quits: gpui's quit hook must keep the answer
/// of the refresh in flight (the issuer has already spent the stored refresh token), and the
/// next start must store it. The process here quits as an editor does on SIGTERM
/// (`OPENAI_SUBSCRIBED_QUIT_LIKE_AN_EDITOR`), while the issuer's answer to a refresh it has
/// already processed is still on its way.
#[cfg(unix)]
#[test]
fn quitting_like_an_editor_mid_refresh_keeps_the_answer_for_the_next_start() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let minted = emulator.mint_tokens(60);
    store_sign_in(dir.path(), &minted);
    emulator.set_token_answer_delay(Duration::from_secs(1));
    let before = emulator.stats().token_requests;

    let models = cli(&emulator, dir.path())
        .arg("models")
        .env("OPENAI_SUBSCRIBED_QUIT_LIKE_AN_EDITOR", "1")
        .spawn()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "the refresh was not sent"
    );
    // SAFETY: signals our own child, which has not been waited for (its pid is still its own).
    assert_eq!(unsafe { libc::kill(models.id() as i32, libc::SIGTERM) }, 0);
    let models = finish(models);
    let stderr = text(&models.stderr);
    assert_eq!(models.status.code(), Some(143), "{stderr}");
    assert_eq!(emulator.stats().refreshes, 1, "{stderr}");
    emulator.set_token_answer_delay(Duration::ZERO);

    // The next start stores the kept answer and uses it: no second refresh (the spent token
    // would be refused as reused, and the sign-in lost).
    let next = finish(cli(&emulator, dir.path()).arg("models").spawn().unwrap());
    let next_stderr = text(&next.stderr);
    assert!(next.status.success(), "{stderr}\n{next_stderr}");
    assert_eq!(emulator.stats().refreshes, 1, "{next_stderr}");
    let record = stored(dir.path()).expect("still signed in");
    assert_ne!(record.refresh_token.secret(), minted.refresh_token);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("answer"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[cfg(unix)]
#[test]
fn ctrl_c_during_a_refresh_waits_for_its_answer_and_stores_it() {
    a_signal_during_a_refresh_waits_for_its_answer_and_stores_it(libc::SIGINT, 130);
}

#[cfg(unix)]
#[test]
fn sigterm_during_a_refresh_waits_for_its_answer_and_stores_it() {
    a_signal_during_a_refresh_waits_for_its_answer_and_stores_it(libc::SIGTERM, 143);
}

/// Closing the terminal sends SIGHUP.
#[cfg(unix)]
#[test]
fn sighup_during_a_refresh_waits_for_its_answer_and_stores_it() {
    a_signal_during_a_refresh_waits_for_its_answer_and_stores_it(libc::SIGHUP, 129);
}

/// A signal with no renewal in flight says "interrupted", and nothing about a renewal.
#[cfg(unix)]
#[test]
fn a_signal_with_no_renewal_in_flight_just_says_interrupted() {
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    // A fresh sign-in (no renewal), and an answer that streams slowly: the chat is still running.
    store_sign_in(dir.path(), &emulator.mint_tokens(3600));
    emulator.set_stream_pause(Duration::from_secs(20));
    let chat = cli(&emulator, dir.path())
        .args(["chat", "hello"])
        .spawn()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || emulator
            .stats()
            .responses_requests
            > 0),
        "the chat did not reach the backend"
    );
    // SAFETY: signals our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(chat.id() as i32, libc::SIGTERM) }, 0);
    let chat = finish(chat);
    let stderr = text(&chat.stderr);
    assert_eq!(chat.status.code(), Some(143), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("renewal"), "{stderr}");
    assert_eq!(emulator.stats().token_requests, 0);
}

/// A second signal while the process waits for a renewal exits at once, with its own status: the
/// user insisted (the renewal's answer is then lost).
#[cfg(unix)]
#[test]
fn a_second_signal_while_waiting_for_a_renewal_exits_at_once() {
    use std::io::{BufRead as _, BufReader};
    let emulator = Emulator::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    store_sign_in(dir.path(), &emulator.mint_tokens(60));
    // Far longer than the test waits for the exit.
    emulator.set_token_delay(Duration::from_secs(40));
    let before = emulator.stats().token_requests;

    let mut models = cli(&emulator, dir.path()).arg("models").spawn().unwrap();
    let (lines, said) = std::sync::mpsc::channel();
    let stderr = models.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "the refresh was not sent"
    );
    // SAFETY (both): signals our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(models.id() as i32, libc::SIGTERM) }, 0);
    // The first signal is being honoured: the process says it waits for the renewal.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = said
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the process did not say it waits for the renewal");
        if line.contains("waiting for the session renewal in flight to finish") {
            break;
        }
    }
    let sent = Instant::now();
    assert_eq!(unsafe { libc::kill(models.id() as i32, libc::SIGINT) }, 0);
    assert!(
        wait_until(Duration::from_secs(15), || models
            .try_wait()
            .unwrap()
            .is_some()),
        "a second signal did not end the process at once"
    );
    let status = models.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "ended {:?} after the second signal",
        sent.elapsed()
    );
}
