//! What the README states and a test can check: the files it names are where it says, the exit
//! codes it lists are the ones the binary uses, the credentials file it names is the one the
//! binary writes, the defaults in its settings table are the ones `--help` shows, and `usage`'s
//! help says what the README says `usage` does.

use emulator::Emulator;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{BIN, finish, run_ok, store_path, store_sign_in, text};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn readme() -> String {
    std::fs::read_to_string(workspace().join("README.md")).unwrap()
}

fn help(args: &[&str]) -> String {
    let output = run_ok(
        Command::new(BIN)
            .args(args)
            .arg("--help")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    text(&output.stdout)
}

#[test]
fn every_file_the_readme_links_or_names_exists() {
    let readme = readme();
    let links = Regex::new(r"\]\(([^)#\s]+)\)").unwrap();
    let named =
        Regex::new(r"`((?:scripts|docs|tests|benches|src|crates|\.config)/[A-Za-z0-9_./-]+)`")
            .unwrap();
    let mut paths: BTreeSet<String> = BTreeSet::new();
    paths.extend(
        links
            .captures_iter(&readme)
            .map(|found| found[1].to_string())
            .filter(|target| !target.contains("://")),
    );
    paths.extend(
        named
            .captures_iter(&readme)
            .map(|found| found[1].to_string()),
    );
    // The command lines the README gives name these too.
    for script in [
        "scripts/demo.sh",
        "scripts/test.sh",
        "scripts/setup-build.sh",
        "crates/cli",
    ] {
        assert!(
            readme.contains(script),
            "the README no longer names {script}"
        );
        paths.insert(script.to_string());
    }
    assert!(paths.len() > 20, "{paths:?}");
    let missing: Vec<&String> = paths
        .iter()
        .filter(|path| !workspace().join(path.trim_end_matches('/')).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "named in the README but missing: {missing:?}"
    );
}

#[test]
fn the_exit_codes_the_readme_lists_are_the_binarys() {
    let readme = readme();
    let paragraph = readme
        .split("\n\n")
        .find(|paragraph| paragraph.starts_with("Exit codes:"))
        .expect("the README lists the exit codes");
    let listed: BTreeSet<i32> = Regex::new(r"\b(\d+) (?:on|with|for|after)\b")
        .unwrap()
        .captures_iter(paragraph)
        .map(|found| found[1].parse().unwrap())
        .collect();
    let signals: BTreeSet<i32> = [
        cli::stop_signal::StopSignal::Interrupt,
        cli::stop_signal::StopSignal::Terminate,
        cli::stop_signal::StopSignal::HangUp,
    ]
    .iter()
    .map(|signal| i32::from(signal.exit_code()))
    .collect();
    let mut used: BTreeSet<i32> = [0, 1, 2].into();
    used.extend(&signals);
    assert_eq!(listed, used, "{paragraph}");

    let code = |args: &[&str]| {
        finish(
            Command::new(BIN)
                .args(args)
                .env("OPENAI_SUBSCRIBED_STORE", "memory")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap(),
        )
        .status
        .code()
    };
    assert_eq!(code(&["--help"]), Some(0));
    assert_eq!(
        code(&["--auth-url", "ftp://example.com", "status"]),
        Some(1)
    );
    assert_eq!(code(&["--no-such-option"]), Some(2));
    assert_eq!(code(&["chat", "--effort"]), Some(2));
}

#[test]
fn the_credentials_file_is_where_the_readme_says() {
    let readme = readme();
    let documented = "~/.config/openai_subscribed/chatgpt-credentials.json";
    assert!(readme.contains(documented));
    assert!(
        !readme.contains("/credentials.json"),
        "the old file name is back"
    );

    let emulator = Emulator::start().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    store_sign_in(scratch.path(), &emulator.mint_tokens(3600));
    let home = scratch.path().join("home");
    let file = home.join(".config/openai_subscribed/chatgpt-credentials.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::copy(store_path(scratch.path()), &file).unwrap();

    let status = run_ok(
        Command::new(BIN)
            .arg("status")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_CACHE_HOME", home.join(".cache"))
            .env("OPENAI_SUBSCRIBED_STORE", "file")
            .env_remove("OPENAI_SUBSCRIBED_STORE_PATH")
            .env("OPENAI_SUBSCRIBED_AUTH_URL", emulator.issuer_url())
            .env("OPENAI_SUBSCRIBED_BACKEND_URL", emulator.backend_url())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    let out = text(&status.stdout);
    assert!(out.contains("Signed in as ada@example.com"), "{out}");
    assert!(out.contains(&file.display().to_string()), "{out}");
}

#[test]
fn the_settings_tables_defaults_are_the_ones_help_shows() {
    let readme = readme();
    let row = Regex::new(r"(?m)^\| `(--[a-z-]+)` \| `[A-Z_]+` \| `([^`]+)` \|").unwrap();
    let chat_help = help(&["chat"]);
    let mut checked = 0;
    for found in row.captures_iter(&readme) {
        let (option, default) = (&found[1], &found[2]);
        if option == "--store-path" {
            continue; // the platform's config directory: checked by the credentials-file test
        }
        let at = chat_help
            .find(&format!("{option} <"))
            .unwrap_or_else(|| panic!("{option} is not in `chat --help`"));
        let rest = &chat_help[at..];
        // Up to the next option.
        let end = rest
            .get(1..)
            .and_then(|after| after.find("\n      --"))
            .map_or(rest.len(), |end| end + 1);
        let entry = rest.get(..end).unwrap();
        assert!(
            entry.contains(&format!("[default: {default}]")),
            "README says {option} defaults to {default}; --help says:\n{entry}"
        );
        checked += 1;
    }
    assert!(checked >= 7, "only {checked} rows checked");
}

#[test]
fn usage_help_says_what_the_readme_says_it_does() {
    let readme = readme();
    assert!(readme.contains("asks GET …/wham/usage now"));
    let usage = help(&["usage"]);
    assert!(usage.contains("asked of the backend now"), "{usage}");
    assert!(!usage.contains("as last reported"), "{usage}");
    // Only the options `usage` uses.
    assert!(!usage.contains("--first-byte-timeout"), "{usage}");
    assert!(usage.contains("Global options:"), "{usage}");
}

#[test]
fn the_emulator_and_the_demo_list_only_their_own_options() {
    for command in ["emulator", "demo"] {
        let text = help(&[command]);
        assert!(!text.contains("--auth-url"), "{text}");
        assert!(!text.contains("Global options"), "{text}");
    }
    // Their own options come first everywhere else, and no Rust module path is shown.
    let login = help(&["login"]);
    let own = login.find("--no-browser").unwrap();
    let global = login.find("Global options:").unwrap();
    assert!(
        own < global && login.find("--auth-url").unwrap() > global,
        "{login}"
    );
    assert!(
        !help(&["chat"]).contains("cli::"),
        "chat --help names a module path"
    );
}
