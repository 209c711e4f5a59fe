//! Several accounts from the command line, as real processes against the emulator: `login`
//! adds an account, `accounts` lists them (the active one marked, no token printed), `switch`
//! and `--account` choose one, `remove` signs out of one only, a name that matches no account
//! is an error listing the ones there are, two processes refreshing two accounts at once each
//! keep their own rotated token, and "sign-out wins" holds per account (removing an account
//! while another process renews it leaves it signed out, and the other account untouched).

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{
    approve, cli, finish, run_ok, store_path, store_sign_in, stored, text, wait_until,
};
use emulator::{EmulatedAccount, Emulator, EmulatorOptions, RedirectPorts, callback_ports};
use openai_subscribed::credentials::StoredCredentials;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

fn bob() -> EmulatedAccount {
    EmulatedAccount {
        email: "bob@example.com".into(),
        account_id: "acct_bob".into(),
        plan: "pro".into(),
        user_id: "user_bob".into(),
    }
}

/// `login --no-browser`, playing the browser; returns its stdout.
fn login(emulator: &Emulator, dir: &Path) -> String {
    let _ports = callback_ports::PortLock::acquire();
    let mut login = cli(emulator, dir)
        .args(["login", "--no-browser"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(login.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    assert_eq!(approve(&url), 200);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let output = finish(login);
    assert!(output.status.success(), "{}", text(&output.stderr));
    rest.join("\n")
}

/// The records of the accounts added beside the first one.
fn extra_records(dir: &Path) -> Vec<(PathBuf, StoredCredentials)> {
    let accounts = store_path(dir).with_file_name("credentials.json.accounts");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(accounts).into_iter().flatten().flatten() {
        let path = entry.path().join("credentials.json");
        if let Ok(bytes) = std::fs::read(&path) {
            found.push((path, StoredCredentials::decode(&bytes).unwrap()));
        }
    }
    found
}

fn stdout(emulator: &Emulator, dir: &Path, args: &[&str]) -> String {
    text(&run_ok(cli(emulator, dir).args(args)).stdout)
}

fn status_email(emulator: &Emulator, dir: &Path, extra: &[&str]) -> String {
    let mut args = extra.to_vec();
    args.extend(["status", "--json"]);
    let value: serde_json::Value = serde_json::from_str(&stdout(emulator, dir, &args)).unwrap();
    value["email"].as_str().unwrap_or_default().to_string()
}

#[test]
fn accounts_are_listed_switched_chosen_per_command_and_removed_one_at_a_time() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    store_sign_in(dir, &emulator.mint_tokens(3600));
    emulator.set_account(bob());
    // Signed in already: `login` adds Bob beside Ada, and Bob becomes the active account.
    let said = login(&emulator, dir);
    assert!(said.contains("Signed in as bob@example.com"), "{said}");

    let list = stdout(&emulator, dir, &["accounts"]);
    let lines: Vec<&str> = list.lines().collect();
    assert!(
        lines[0].starts_with("  ada@example.com · Plus · Codex route · codex-"),
        "{list}"
    );
    assert!(
        lines[1].starts_with("* bob@example.com · Pro · Codex route · codex-"),
        "{list}"
    );
    assert_eq!(status_email(&emulator, dir, &[]), "bob@example.com");

    // No token in the list, its JSON, or the index file.
    let json = stdout(&emulator, dir, &["accounts", "--json"]);
    let index = std::fs::read_to_string(
        store_path(dir)
            .with_file_name("credentials.json.accounts")
            .join("index.json"),
    )
    .unwrap();
    let ada = stored(dir).unwrap();
    let (_, bob_record) = extra_records(dir).pop().unwrap();
    for token in [
        ada.access_token.secret(),
        ada.refresh_token.secret(),
        bob_record.access_token.secret(),
        bob_record.refresh_token.secret(),
    ] {
        for shown in [&list, &json, &index] {
            assert!(!shown.contains(token));
        }
    }
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value[1]["label"], "bob@example.com");
    assert_eq!(value[1]["active"], true);

    // `--account` (or its environment variable) for one command; the active one stays Bob.
    assert_eq!(
        status_email(&emulator, dir, &["--account", "ada@example.com"]),
        "ada@example.com"
    );
    let ada_id = value[0]["id"].as_str().unwrap();
    let models = finish(
        cli(&emulator, dir)
            .env("OPENAI_SUBSCRIBED_ACCOUNT", ada_id)
            .arg("models")
            .spawn()
            .unwrap(),
    );
    assert!(models.status.success(), "{}", text(&models.stderr));
    assert_eq!(status_email(&emulator, dir, &[]), "bob@example.com");

    // A name that matches nothing says which accounts there are.
    let missing = finish(
        cli(&emulator, dir)
            .args(["--account", "carol", "models"])
            .spawn()
            .unwrap(),
    );
    assert!(!missing.status.success());
    let said = text(&missing.stderr);
    assert!(said.contains("no account \"carol\""), "{said}");
    assert!(said.contains("ada@example.com (codex-"), "{said}");
    assert!(said.contains("bob@example.com (codex-"), "{said}");
    let missing = finish(
        cli(&emulator, dir)
            .args(["accounts", "switch", "carol"])
            .spawn()
            .unwrap(),
    );
    assert!(!missing.status.success());
    assert!(text(&missing.stderr).contains("the signed-in accounts are"));

    // `switch` changes the active account for the commands after it.
    let said = stdout(&emulator, dir, &["accounts", "switch", "ada@example.com"]);
    assert!(said.contains("Now using ada@example.com"), "{said}");
    assert_eq!(
        status_email(&emulator, dir, &[]),
        "ada@example.com",
        "{}",
        std::fs::read_to_string(
            store_path(dir)
                .with_file_name("credentials.json.accounts")
                .join("index.json"),
        )
        .unwrap()
    );

    // `remove` signs out of Bob only: his tokens are revoked, Ada's still work.
    let said = stdout(&emulator, dir, &["accounts", "remove", "bob@example.com"]);
    assert!(said.contains("Signed out of bob@example.com"), "{said}");
    assert!(!emulator.access_token_is_live(bob_record.access_token.secret()));
    assert!(emulator.access_token_is_live(ada.access_token.secret()));
    assert!(extra_records(dir).is_empty());
    let list = stdout(&emulator, dir, &["accounts"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.starts_with("* ada@example.com"), "{list}");
    run_ok(cli(&emulator, dir).args(["chat", "hi"]));

    // `logout` signs out of the active account.
    let said = stdout(&emulator, dir, &["logout"]);
    assert!(said.contains("Signed out ada@example.com"), "{said}");
    assert!(stored(dir).is_none());
    let list = stdout(&emulator, dir, &["accounts"]);
    assert!(list.contains("No account is signed in"), "{list}");
}

#[test]
fn two_processes_refreshing_two_accounts_at_once_each_keep_their_own() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    store_sign_in(dir, &emulator.mint_tokens(3600));
    emulator.set_account(bob());
    login(&emulator, dir);
    // Both records then hold an access token inside the renewal margin, as if an hour passed.
    let (bob_path, _) = extra_records(dir).pop().unwrap();
    let bob_dir = tempfile::tempdir().unwrap();
    store_sign_in(bob_dir.path(), &emulator.mint_tokens(60));
    std::fs::copy(store_path(bob_dir.path()), &bob_path).unwrap();
    emulator.set_account(EmulatedAccount::default());
    store_sign_in(dir, &emulator.mint_tokens(60));
    let ada_before = stored(dir).unwrap();
    let bob_before = StoredCredentials::decode(&std::fs::read(&bob_path).unwrap()).unwrap();
    assert_eq!(bob_before.email.as_deref(), Some("bob@example.com"));

    // Both renewals wait at the issuer at the same time.
    emulator.set_token_delay(Duration::from_millis(500));
    let before = emulator.stats().refreshes;
    let children: Vec<_> = ["ada@example.com", "bob@example.com"]
        .into_iter()
        .map(|account| {
            cli(&emulator, dir)
                .args(["--account", account, "chat", "hi"])
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = finish(child);
        assert!(output.status.success(), "{}", text(&output.stderr));
    }
    assert_eq!(emulator.stats().refreshes - before, 2);

    let ada_after = stored(dir).unwrap();
    let bob_after = StoredCredentials::decode(&std::fs::read(&bob_path).unwrap()).unwrap();
    assert_ne!(ada_after.refresh_token, ada_before.refresh_token);
    assert_ne!(bob_after.refresh_token, bob_before.refresh_token);
    assert_eq!(ada_after.email.as_deref(), Some("ada@example.com"));
    assert_eq!(bob_after.email.as_deref(), Some("bob@example.com"));
    // Each kept refresh token is the live one: the issuer renews each again.
    emulator.set_token_delay(Duration::ZERO);
    emulator.revoke_access_tokens();
    for account in ["ada@example.com", "bob@example.com"] {
        run_ok(cli(&emulator, dir).args(["--account", account, "chat", "again"]));
    }
    assert_eq!(emulator.stats().refreshes - before, 4);
}

#[test]
fn a_usage_limit_prints_the_line_that_switches_to_an_account_with_room() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    store_sign_in(dir, &emulator.mint_tokens(3600));
    emulator.set_account(bob());
    login(&emulator, dir);
    stdout(&emulator, dir, &["accounts", "switch", "ada@example.com"]);

    emulator.inject(emulator::Fault::ResponsesUsageLimit {
        resets_in_secs: 3600,
    });
    let chat = finish(cli(&emulator, dir).args(["chat", "hi"]).spawn().unwrap());
    assert!(!chat.status.success());
    let said = text(&chat.stderr);
    assert!(said.contains("bob@example.com has room"), "{said}");
    assert!(
        said.contains("`openai-subscribed accounts switch \"bob@example.com\"`"),
        "{said}"
    );
    assert!(said.contains("`--account \"bob@example.com\"`"), "{said}");
    // Offered, not made: Ada is still the active account.
    assert_eq!(status_email(&emulator, dir, &[]), "ada@example.com");
    // Typing the line goes on with Bob.
    run_ok(cli(&emulator, dir).args(["--account", "bob@example.com", "chat", "hi"]));
}

#[test]
fn removing_an_account_while_another_process_renews_it_leaves_only_that_one_signed_out() {
    let emulator = Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    store_sign_in(dir, &emulator.mint_tokens(3600));
    emulator.set_account(bob());
    login(&emulator, dir);
    let (bob_path, _) = extra_records(dir).pop().unwrap();
    // Bob's access token is inside the renewal margin; his renewal waits at the issuer.
    let bob_dir = tempfile::tempdir().unwrap();
    store_sign_in(bob_dir.path(), &emulator.mint_tokens(60));
    std::fs::copy(store_path(bob_dir.path()), &bob_path).unwrap();
    let ada_before = stored(dir).unwrap();
    emulator.set_token_delay(Duration::from_secs(2));
    let before = emulator.stats().token_requests;

    let models = cli(&emulator, dir)
        .args(["--account", "bob@example.com", "models"])
        .spawn()
        .unwrap();
    assert!(
        wait_until(Duration::from_secs(60), || emulator.stats().token_requests
            > before),
        "Bob's renewal was not sent"
    );
    // Bob is removed meanwhile; the revocation does not reach the issuer (as when it is
    // unreachable), so the renewal in flight is answered with new tokens after the sign-out.
    let unreachable = {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        format!("http://127.0.0.1:{port}")
    };
    let remove = finish(
        cli(&emulator, dir)
            .env("OPENAI_SUBSCRIBED_AUTH_URL", unreachable)
            .args(["accounts", "remove", "bob@example.com"])
            .spawn()
            .unwrap(),
    );
    assert!(remove.status.success(), "{}", text(&remove.stderr));
    finish(models);

    // Sign-out wins for Bob: his record stays deleted, the late tokens are not written back.
    assert!(!bob_path.exists(), "Bob's sign-out was undone");
    // Ada's record is untouched, and she is the only account.
    assert_eq!(stored(dir).unwrap(), ada_before);
    let list = stdout(&emulator, dir, &["accounts"]);
    assert_eq!(list.lines().count(), 1, "{list}");
    assert!(list.starts_with("* ada@example.com"), "{list}");
    emulator.set_token_delay(Duration::ZERO);
    run_ok(cli(&emulator, dir).args(["chat", "hi"]));
}
