//! [`OAuthError`]: every way a sign-in can fail, in words the user can act on.
//!
//! No variant ever holds a secret (code, verifier, state or token): what the issuer said is kept
//! only as its error code and human message, trimmed and stripped of control characters, so it
//! is safe to print in a terminal, a log line or a page.

use super::jwt_claims::InvalidJwt;
use crate::http_error::{HttpFailure, Request};
use std::time::Duration;

/// The description the issuer puts in `access_denied` when the plan has no Codex access.
pub(crate) const MISSING_CODEX_ENTITLEMENT: &str = "missing_codex_entitlement";

/// The longest issuer message kept, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Why a sign-in did not produce tokens.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// The user (or the workspace) declined the sign-in at the issuer.
    #[error("Sign-in was declined{}. Start the sign-in again and approve it in the browser.", detail(.description))]
    AccessDenied {
        /// The issuer's `error_description`, if any.
        description: Option<String>,
    },
    /// The account signed in, but its ChatGPT plan does not include Codex.
    #[error(
        "This ChatGPT account's plan does not include Codex. Sign in with an account on a plan \
         that does (Plus, Pro, Team, Business, Enterprise or Edu), or ask your workspace admin \
         to enable Codex."
    )]
    NoCodexEntitlement,
    /// Every callback port is taken by another program.
    #[error(
        "Cannot receive the sign-in: ports {} on 127.0.0.1 are in use (another sign-in may be \
         running). Close it and try again, or use the device-code sign-in instead.",
        join_ports(.ports)
    )]
    PortsBusy {
        /// The ports tried, in order.
        ports: Vec<u16>,
    },
    /// The local callback listener could not be started for another reason.
    #[error(
        "Cannot start the local sign-in listener on 127.0.0.1: {reason}. Use the device-code sign-in instead."
    )]
    CallbackServer {
        /// What the operating system said.
        reason: String,
    },
    /// The sign-in was not completed in time.
    #[error("Sign-in timed out after {} without an answer. Start it again when you are ready to finish it in the browser.", minutes_and_seconds(*.after))]
    TimedOut {
        /// How long it waited.
        after: Duration,
    },
    /// The sign-in was cancelled.
    #[error("Sign-in was cancelled.")]
    Cancelled,
    /// The issuer could not be reached (network, DNS, TLS, proxy, or no answer in time).
    #[error(
        "Cannot reach the sign-in server at {url}: {reason}. Check the network connection or proxy, then try again."
    )]
    IssuerUnreachable {
        /// The endpoint (no query, no secrets).
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The issuer answered with an error. From an HTTP answer it is worded like every HTTP
    /// error of this crate ([`HttpFailure`]): the request, the status, the issuer's code and
    /// message, and what to do.
    #[error("{}", issuer_error(*.status, .code, .message))]
    IssuerError {
        /// The HTTP status, when the error came from an HTTP answer.
        status: Option<u16>,
        /// The issuer's error code (e.g. `invalid_grant`), if it sent one.
        code: Option<String>,
        /// The issuer's message; empty when an HTTP answer carried none (an HTML page, say).
        message: String,
    },
    /// The issuer has device-code sign-in switched off (HTTP 404 on the user-code request).
    #[error(
        "Device-code sign-in is not enabled for this server or workspace. Use the browser sign-in instead."
    )]
    DeviceCodeDisabled,
    /// A token from the issuer could not be read.
    #[error("{0}. Try signing in again.")]
    InvalidToken(#[from] InvalidJwt),
    /// The official "Sign in with ChatGPT" route's own failures (discovery, registration, ID
    /// token, consent), in its words.
    #[error(transparent)]
    SignInWithChatGpt(#[from] crate::siwc::SiwcError),
}

impl OAuthError {
    /// An issuer error, with its message made safe to show.
    pub fn issuer(status: Option<u16>, code: Option<&str>, message: &str) -> Self {
        let code = code.map(sanitize).filter(|code| !code.is_empty());
        // An HTTP answer without a message is worded from its status alone (see `issuer_error`).
        let message = match sanitize(message) {
            message if message.is_empty() && status.is_none() => "no details given".to_string(),
            message => message,
        };
        if code.as_deref() == Some(MISSING_CODEX_ENTITLEMENT)
            || message.contains(MISSING_CODEX_ENTITLEMENT)
        {
            return Self::NoCodexEntitlement;
        }
        Self::IssuerError {
            status,
            code,
            message,
        }
    }

    /// The error a callback's `error=` parameter stands for (RFC 6749 §4.1.2.1).
    pub(crate) fn from_callback(error: &str, description: Option<&str>) -> Self {
        let description = description.map(sanitize).filter(|d| !d.is_empty());
        let mentions_entitlement = |text: &str| text.contains(MISSING_CODEX_ENTITLEMENT);
        if mentions_entitlement(error) || description.as_deref().is_some_and(mentions_entitlement) {
            return Self::NoCodexEntitlement;
        }
        match error {
            "access_denied" => Self::AccessDenied { description },
            other => Self::issuer(
                None,
                Some(other),
                description.as_deref().unwrap_or("no details given"),
            ),
        }
    }
}

/// Keeps printable characters only (no terminal escapes, no line breaks) and trims to a length
/// that fits in a message.
pub(crate) fn sanitize(text: &str) -> String {
    crate::printable::one_line(text, MAX_MESSAGE_CHARS)
}

fn detail(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

fn join_ports(ports: &[u16]) -> String {
    match ports {
        [] => "(none)".to_string(),
        [only] => only.to_string(),
        [rest @ .., last] => format!(
            "{} and {last}",
            rest.iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn minutes_and_seconds(after: Duration) -> String {
    let seconds = after.as_secs();
    match (seconds / 60, seconds % 60) {
        (0, s) => format!("{s} s"),
        (m, 0) => format!("{m} min"),
        (m, s) => format!("{m} min {s} s"),
    }
}

/// "The request for the sign-in failed: the ChatGPT sign-in server answered HTTP 502 Bad
/// Gateway; try again in a few minutes." for an HTTP answer; the issuer's code and message for
/// an error without one (a callback's `error=`).
fn issuer_error(status: Option<u16>, code: &Option<String>, message: &str) -> String {
    let Some(status) = status else {
        let code = code.as_deref().map(|code| format!(" ({code})"));
        return format!(
            "The sign-in server refused the sign-in{}: {message}",
            code.unwrap_or_default()
        );
    };
    let failure = HttpFailure {
        request: Request::SignIn,
        status,
        code: code.clone(),
        message: Some(message.to_string()).filter(|message| !message.is_empty()),
    }
    .to_string();
    let mut chars = failure.chars();
    let first = chars.next().map(|c| c.to_uppercase().to_string());
    format!("{}{}.", first.unwrap_or_default(), chars.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_to_do() {
        let busy = OAuthError::PortsBusy {
            ports: vec![1455, 1457],
        }
        .to_string();
        assert!(busy.contains("1455 and 1457"), "{busy}");
        assert!(busy.contains("device-code"), "{busy}");
        let timed_out = OAuthError::TimedOut {
            after: Duration::from_secs(300),
        };
        assert!(timed_out.to_string().contains("5 min"));
        assert_eq!(
            OAuthError::from_callback("access_denied", Some("missing_codex_entitlement")),
            OAuthError::NoCodexEntitlement
        );
        assert!(matches!(
            OAuthError::from_callback("access_denied", Some("The user said no")),
            OAuthError::AccessDenied { description: Some(d) } if d == "The user said no"
        ));
        let other = OAuthError::from_callback("server_error", None).to_string();
        assert!(other.contains("server_error"), "{other}");
    }

    #[test]
    fn issuer_text_is_made_printable() {
        let error = OAuthError::issuer(Some(400), Some("bad\u{1b}[31m"), "line1\nline2\r\u{7}");
        let text = error.to_string();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("line1 line2"), "{text}");
        let long = OAuthError::issuer(None, None, &"x".repeat(5000)).to_string();
        assert!(long.len() < 600);
    }
}
