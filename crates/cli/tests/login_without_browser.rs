//! `login` where no browser can work — an SSH session, a Linux machine with no display — says so
//! in one line, offers the device code, and prints the sign-in page once, plainly, instead of
//! trying a launcher; Ctrl-C while it waits says "interrupted" and nothing about a renewal.

use emulator::{Emulator, EmulatorOptions, RedirectPorts, callback_ports};
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command};

#[path = "shared/cli_process.rs"]
mod cli_process;

use cli_process::{approve, cli, finish, text};

fn emulator() -> Emulator {
    Emulator::start_with(EmulatorOptions {
        redirect_ports: RedirectPorts::RealIssuer,
        ..EmulatorOptions::default()
    })
    .unwrap()
}

/// `login` as over SSH (with a forwarded display), or on a Linux machine with no display.
fn login(emulator: &Emulator, dir: &std::path::Path, ssh: bool) -> Child {
    let mut command: Command = cli(emulator, dir);
    command
        .arg("login")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_TTY");
    if ssh {
        command
            .env("SSH_CONNECTION", "10.0.0.2 50000 10.0.0.1 22")
            .env("DISPLAY", ":0");
    } else {
        command.env_remove("DISPLAY").env_remove("WAYLAND_DISPLAY");
    }
    command.spawn().unwrap()
}

/// Reads the sign-in page's URL, the first line of stdout.
fn url_of(child: &mut Child) -> String {
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines.next().unwrap().unwrap();
    // The rest of stdout drains in the background, so the child never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    url
}

#[cfg(unix)]
#[test]
fn over_ssh_login_says_so_offers_the_device_code_and_prints_the_page() {
    let _ports = callback_ports::PortLock::acquire();
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let mut child = login(&emulator, dir.path(), true);
    let url = url_of(&mut child);
    assert!(url.starts_with(&emulator.issuer_url()), "{url}");
    assert_eq!(approve(&url), 200);
    let output = finish(child);
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let explanation: Vec<&str> = stderr.lines().filter(|line| line.contains("SSH")).collect();
    assert_eq!(explanation.len(), 1, "{stderr}");
    assert!(explanation[0].contains("login --device"), "{stderr}");
    // The URL is printed once (on stdout), never in the explanation.
    assert!(!stderr.contains("oauth/authorize"), "{stderr}");
    assert!(!stderr.contains("Could not open"), "{stderr}");
}

#[cfg(unix)]
#[test]
fn without_a_display_login_says_so_and_ctrl_c_says_nothing_about_a_renewal() {
    let _ports = callback_ports::PortLock::acquire();
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let mut child = login(&emulator, dir.path(), false);
    let url = url_of(&mut child);
    assert!(url.contains("/oauth/authorize?"), "{url}");
    // SAFETY: signals our own child, which has not been waited for.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let output = finish(child);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("no graphical display"), "{stderr}");
    assert!(stderr.contains("login --device"), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(!stderr.contains("renewal"), "{stderr}");
    assert_eq!(emulator.stats().token_requests, 0);
}

/// A launcher that fails (here a stand-in `xdg-open` that exits 3, alone on the `PATH`): the
/// sign-in page is printed once, plainly, with the device code offered, and nothing of the
/// launcher's error (which repeats the whole URL) is shown.
#[cfg(unix)]
#[test]
fn a_failed_browser_launch_prints_the_page_once() {
    use std::os::unix::fs::PermissionsExt as _;
    let _ports = callback_ports::PortLock::acquire();
    let emulator = emulator();
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let launcher = bin.join("xdg-open");
    std::fs::write(&launcher, "#!/bin/sh\nexit 3\n").unwrap();
    std::fs::set_permissions(&launcher, std::fs::Permissions::from_mode(0o755)).unwrap();

    let mut child = cli(&emulator, dir.path())
        .arg("login")
        .env_remove("SSH_CONNECTION")
        .env_remove("SSH_TTY")
        .env("DISPLAY", ":0")
        .env("PATH", &bin)
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut said = Vec::new();
    let url = loop {
        let line = stderr
            .next()
            .expect("login printed no sign-in page")
            .unwrap();
        if line.starts_with("http") {
            break line;
        }
        said.push(line);
    };
    let rest = std::thread::spawn(move || stderr.map_while(Result::ok).collect::<Vec<_>>());
    assert_eq!(approve(&url), 200);
    let output = finish(child);
    let mut all = said;
    all.extend(rest.join().unwrap());
    let all = all.join("\n");
    assert!(output.status.success(), "{all}");
    assert!(all.contains("Could not open a browser"), "{all}");
    assert!(all.contains("login --device"), "{all}");
    assert!(
        !all.contains("oauth/authorize"),
        "the URL came twice:\n{all}"
    );
    assert!(
        !all.contains("ExitStatus") && !all.contains("Launcher"),
        "{all}"
    );
}
