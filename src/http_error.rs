//! One wording for every HTTP error answer of the backend and the issuer.
//!
//! An error answer that is not one of the documented refusals (usage limit, context too long,
//! a refused sign-in…, which have their own words) is described here, the same way whichever
//! request got it: which request failed ("the model list", "your usage", "the answer", "the
//! sign-in", "the session renewal"), the HTTP status with its reason phrase ("HTTP 502 Bad
//! Gateway"), and what to do next ("try again in a few minutes", "check --backend-url" for a
//! 404, "sign in again" for a 401/403).
//!
//! The body is shown only when it carries a message meant for people (`detail` as a string,
//! `error.message`, `message`, `error_description`), as a short excerpt with control and
//! bidirectional characters removed ([`crate::printable::one_line`]). Anything else (an HTML
//! error page, raw JSON such as `{"detail": null}`, a binary blob) is never shown: it would only
//! bury the useful part of the message, or carry escape sequences to the terminal.

use std::fmt;

/// The most characters of a server's message shown in an error.
pub(crate) const MAX_MESSAGE_CHARS: usize = 200;

/// Which request got the error answer, as the user knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// `GET {backend}/models`.
    ModelList,
    /// `GET …/wham/usage`.
    Usage,
    /// `POST {backend}/responses`.
    Answer,
    /// The issuer's sign-in requests (code exchange, device code).
    SignIn,
    /// The refresh-token grant.
    SessionRenewal,
}

impl Request {
    /// "the model list", "your usage"…
    pub fn name(self) -> &'static str {
        match self {
            Self::ModelList => "the model list",
            Self::Usage => "your usage",
            Self::Answer => "the answer",
            Self::SignIn => "the sign-in",
            Self::SessionRenewal => "the session renewal",
        }
    }

    /// Whether the request goes to the issuer (the sign-in server) rather than the backend.
    fn to_issuer(self) -> bool {
        matches!(self, Self::SignIn | Self::SessionRenewal)
    }
}

/// An HTTP error answer, ready to show: the request, the status, and the server's own message
/// when it sent one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpFailure {
    /// Which request failed.
    pub request: Request,
    /// The HTTP status code.
    pub status: u16,
    /// The error code the server sent (`invalid_grant`…), printable, if any.
    pub code: Option<String>,
    /// The server's message, printable and bounded, if the body carried one.
    pub message: Option<String>,
}

impl HttpFailure {
    /// The failure `body` (the whole answer, or its start) describes for `request`.
    pub(crate) fn from_body(request: Request, status: u16, body: &[u8]) -> Self {
        Self {
            request,
            status,
            code: None,
            message: message_in(body),
        }
    }

    /// What the user can do about it.
    pub fn next_step(&self) -> &'static str {
        match (self.status, self.request.to_issuer()) {
            (401 | 403, _) => "sign in again",
            (404, false) => {
                "check --backend-url (OPENAI_SUBSCRIBED_BACKEND_URL): it should point at the ChatGPT backend"
            }
            (404, true) => {
                "check --auth-url (OPENAI_SUBSCRIBED_AUTH_URL): it should point at the ChatGPT sign-in server"
            }
            (408 | 429, _) => "wait a minute, then try again",
            (500..=599, _) => "try again in a few minutes",
            _ => match self.request {
                Request::SignIn => "start the sign-in again",
                Request::SessionRenewal => "try again; if it keeps failing, sign in again",
                Request::ModelList | Request::Usage | Request::Answer => {
                    "try again; if it keeps failing, update openai-subscribed"
                }
            },
        }
    }
}

impl fmt::Display for HttpFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let server = if self.request.to_issuer() {
            "the ChatGPT sign-in server"
        } else {
            "the ChatGPT backend"
        };
        write!(
            f,
            "the request for {} failed: {server} answered HTTP {}",
            self.request.name(),
            self.status
        )?;
        if let Some(reason) = http_client::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|status| status.canonical_reason())
        {
            write!(f, " {reason}")?;
        }
        match (&self.code, &self.message) {
            (Some(code), Some(message)) => write!(f, " ({code}: \"{message}\")")?,
            (Some(code), None) => write!(f, " ({code})")?,
            (None, Some(message)) => write!(f, " (\"{message}\")")?,
            (None, None) => {}
        }
        write!(f, "; {}", self.next_step())
    }
}

/// The message a JSON error body carries for people, printable and bounded: `detail` (a
/// string), `error.message`, `message` or `error_description`. `None` for anything else: an HTML
/// page, JSON without such a message (`{"detail": null}`), an empty or unreadable body.
pub(crate) fn message_in(body: &[u8]) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    let message = [
        json.get("detail"),
        json.get("error").and_then(|error| error.get("message")),
        json.get("message"),
        json.get("error_description"),
    ]
    .into_iter()
    .flatten()
    .find_map(serde_json::Value::as_str)?;
    Some(printable(message)).filter(|message| !message.is_empty())
}

/// `text` (a message or a code from the network) on one printable line of bounded length.
pub fn printable(text: &str) -> String {
    crate::printable::one_line(text, MAX_MESSAGE_CHARS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(request: Request, status: u16, body: &str) -> String {
        HttpFailure::from_body(request, status, body.as_bytes()).to_string()
    }

    #[test]
    fn names_the_request_the_status_and_a_next_step() {
        assert_eq!(
            shown(Request::ModelList, 500, r#"{"detail": null}"#),
            "the request for the model list failed: the ChatGPT backend answered HTTP 500 \
             Internal Server Error; try again in a few minutes"
        );
        assert_eq!(
            shown(Request::Usage, 404, "Not Found"),
            "the request for your usage failed: the ChatGPT backend answered HTTP 404 Not Found; \
             check --backend-url (OPENAI_SUBSCRIBED_BACKEND_URL): it should point at the ChatGPT backend"
        );
        assert!(shown(Request::SessionRenewal, 403, "").ends_with("; sign in again"));
        assert!(shown(Request::SignIn, 404, "").contains("check --auth-url"));
        assert!(shown(Request::Answer, 599, "").contains("answered HTTP 599; try again"));
    }

    #[test]
    fn shows_a_message_but_never_a_page_or_raw_json() {
        let page = "<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>";
        let text = shown(Request::Answer, 502, page);
        assert!(!text.contains("html"), "{text}");
        assert!(text.contains("HTTP 502 Bad Gateway"), "{text}");
        for body in [
            r#"{"detail":"Model not found"}"#,
            r#"{"error":{"message":"Model not found","code":null}}"#,
            r#"{"message":"Model not found"}"#,
        ] {
            assert!(
                shown(Request::Answer, 400, body).contains("(\"Model not found\")"),
                "{body}"
            );
        }
        assert_eq!(message_in(br#"{"detail":{"x":1}}"#), None);
        assert_eq!(message_in(br#"{"error":"code_only"}"#), None);
        let hostile = format!(r#"{{"detail":"\u001b]0;pwned\u0007{}"}}"#, "x".repeat(1000));
        let message = message_in(hostile.as_bytes()).unwrap();
        assert!(!message.chars().any(char::is_control), "{message:?}");
        assert_eq!(message.chars().count(), MAX_MESSAGE_CHARS + 1);
    }
}
