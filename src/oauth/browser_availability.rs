//! Whether a browser sign-in can work where this process runs, decided before one is tried.
//!
//! The browser sign-in opens a page on *this* machine and waits for the issuer to redirect that
//! page to a loopback port of *this* machine. Two situations make that useless, and both are
//! better said up front than discovered after a launcher fails or a page opens on a screen
//! nobody looks at:
//!
//! - **A remote session** (`SSH_CONNECTION` or `SSH_TTY` set): a browser would open, if at all,
//!   on the remote machine, and the user's own browser cannot reach its loopback port.
//! - **No way to show a browser**: on Linux and the BSDs, no graphical session (neither
//!   `DISPLAY` nor `WAYLAND_DISPLAY`), or no launcher (`xdg-open`) on the `PATH`.
//!
//! In both cases the device-code sign-in works: the user types a short code on any device.
//! [`browser_availability`] is a pure function of what it is given (the environment variables,
//! the platform, whether a launcher program exists), so the command line and the settings card
//! ask the same question and tests can ask it for any machine; [`BrowserAvailability::here`]
//! asks it for this process.

use std::path::Path;

/// Whether a browser sign-in can work here, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BrowserAvailability {
    /// A browser can be opened on the machine in front of the user.
    Available,
    /// The process runs in an SSH session: a browser would open on the remote machine.
    RemoteSession,
    /// No graphical session to show a browser in.
    NoDisplay,
    /// No program that opens a web page (`xdg-open`) was found.
    NoLauncher,
}

/// The platform families whose way of opening a page differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// macOS: `open` is always there, and the desktop is always there.
    MacOs,
    /// Windows: the shell opens pages, and the desktop is always there.
    Windows,
    /// Linux and the BSDs: a display server and `xdg-open` are needed.
    Unix,
}

impl Platform {
    /// The platform this program was built for.
    pub fn current() -> Self {
        if cfg!(target_os = "macos") {
            Self::MacOs
        } else if cfg!(windows) {
            Self::Windows
        } else {
            Self::Unix
        }
    }
}

/// The launcher a Unix desktop opens pages with.
pub const UNIX_LAUNCHER: &str = "xdg-open";

/// Decides from the environment variables (`var` answers a variable's value, `None` when unset),
/// the platform, and `launcher_found` (whether [`UNIX_LAUNCHER`] is on the `PATH`; asked only on
/// Unix) whether a browser sign-in can work. A remote session is said first: it is the reason
/// even when a display is forwarded.
pub fn browser_availability(
    var: impl Fn(&str) -> Option<String>,
    platform: Platform,
    launcher_found: impl FnOnce() -> bool,
) -> BrowserAvailability {
    let set = |name: &str| var(name).is_some_and(|value| !value.is_empty());
    if set("SSH_CONNECTION") || set("SSH_TTY") {
        return BrowserAvailability::RemoteSession;
    }
    match platform {
        Platform::MacOs | Platform::Windows => BrowserAvailability::Available,
        Platform::Unix => {
            if !set("DISPLAY") && !set("WAYLAND_DISPLAY") {
                BrowserAvailability::NoDisplay
            } else if !launcher_found() {
                BrowserAvailability::NoLauncher
            } else {
                BrowserAvailability::Available
            }
        }
    }
}

impl BrowserAvailability {
    /// The answer for this process: its environment, its platform, its `PATH`.
    pub fn here() -> Self {
        browser_availability(
            |name| std::env::var(name).ok(),
            Platform::current(),
            || {
                std::env::var_os("PATH").is_some_and(|path| {
                    std::env::split_paths(&path).any(|dir| is_file(&dir.join(UNIX_LAUNCHER)))
                })
            },
        )
    }

    /// One sentence saying why a browser sign-in will not work here and what to do instead
    /// (`None` when it can work). `device_hint` names how to start a device-code sign-in in the
    /// caller's words ("`openai-subscribed login --device`", "Sign in with a code").
    pub fn explanation(self, device_hint: &str) -> Option<String> {
        let why = match self {
            Self::Available => return None,
            Self::RemoteSession => {
                "You are signed in to this machine over SSH, so a browser here would not open \
                 in front of you"
            }
            Self::NoDisplay => "This machine has no graphical display to open a browser on",
            Self::NoLauncher => "No program to open a browser (xdg-open) was found",
        };
        Some(format!(
            "{why}: sign in with a code instead ({device_hint})."
        ))
    }
}

fn is_file(path: &Path) -> bool {
    path.metadata().is_ok_and(|metadata| metadata.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn decide(vars: &[(&str, &str)], platform: Platform, launcher: bool) -> BrowserAvailability {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        browser_availability(|name| vars.get(name).cloned(), platform, || launcher)
    }

    #[test]
    fn ssh_sessions_are_remote_even_with_a_forwarded_display() {
        for var in ["SSH_CONNECTION", "SSH_TTY"] {
            for platform in [Platform::Unix, Platform::MacOs, Platform::Windows] {
                assert_eq!(
                    decide(&[(var, "10.0.0.1 22"), ("DISPLAY", ":0")], platform, true),
                    BrowserAvailability::RemoteSession
                );
            }
        }
    }

    #[test]
    fn unix_needs_a_display_and_a_launcher() {
        assert_eq!(
            decide(&[], Platform::Unix, true),
            BrowserAvailability::NoDisplay
        );
        assert_eq!(
            decide(&[("DISPLAY", "")], Platform::Unix, true),
            BrowserAvailability::NoDisplay
        );
        assert_eq!(
            decide(&[("WAYLAND_DISPLAY", "wayland-0")], Platform::Unix, false),
            BrowserAvailability::NoLauncher
        );
        assert_eq!(
            decide(&[("DISPLAY", ":0")], Platform::Unix, true),
            BrowserAvailability::Available
        );
    }

    #[test]
    fn macos_and_windows_always_have_a_desktop() {
        assert_eq!(
            decide(&[], Platform::MacOs, false),
            BrowserAvailability::Available
        );
        assert_eq!(
            decide(&[], Platform::Windows, false),
            BrowserAvailability::Available
        );
    }

    #[test]
    fn the_explanation_is_one_line_naming_the_device_code() {
        assert_eq!(BrowserAvailability::Available.explanation("x"), None);
        for availability in [
            BrowserAvailability::RemoteSession,
            BrowserAvailability::NoDisplay,
            BrowserAvailability::NoLauncher,
        ] {
            let line = availability.explanation("login --device").unwrap();
            assert!(!line.contains('\n'), "{line}");
            assert!(line.contains("login --device"), "{line}");
        }
    }
}
