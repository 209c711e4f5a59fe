//! One request to the issuer and its answer: the transport details every issuer call shares.
//!
//! The code exchange, the device-code calls, the refresh and the revocation all go through
//! [`send`] (or [`post`], which bounds it), so every issuer request is sent the same way:
//! - **headers**: `Content-Type` from the [`RequestBody`], `Accept: application/json`, and the
//!   client's `User-Agent` ([`Config::user_agent`]), one identity for every call;
//! - **body**: a form (`application/x-www-form-urlencoded`, encoded here from pairs) or JSON;
//! - **body cap**: at most [`MAX_BODY_BYTES`] of an answer is read;
//! - **time**: the sign-in steps call [`post`], bounded by [`REQUEST_TIMEOUT`] on the executor's
//!   clock (the HTTP client itself only bounds connecting); the token renewal and the revocation
//!   call [`send`] and are bounded by `auth`'s policy, which owns how long a renewal or a
//!   sign-out may wait;
//! - **status**: no answer is an [`Unreachable`] ([`OAuthError::IssuerUnreachable`]), an error
//!   status is read by [`IssuerAnswer::error`] into [`OAuthError::IssuerError`] with the issuer's
//!   own code and message, whichever of the shapes below it used (the renewal classifies its
//!   refusals itself: what one means for the sign-in is `auth`'s decision).

use super::error::OAuthError;
use super::time_limit::within;
use crate::config::Config;
use futures::{AsyncReadExt as _, FutureExt as _};
use gpui::BackgroundExecutor;
use http_client::http::{self, StatusCode, header};
use http_client::{AsyncBody, HttpClient};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// How long one sign-in request may take, answer body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer body read (token answers are a few KiB).
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// A request body, with the content type it is sent as.
pub enum RequestBody {
    /// `application/x-www-form-urlencoded` (RFC 6749 §4.1.3 token requests).
    Form(String),
    /// `application/json` (the device-code endpoints, the refresh and the revocation).
    Json(Vec<u8>),
}

impl RequestBody {
    /// A form of `pairs`, encoded as RFC 6749 §4.1.3 and the WHATWG URL standard have it.
    #[allow(clippy::expect_used, reason = "string pairs always form-encode")]
    pub fn form(pairs: &[(&str, &str)]) -> Self {
        Self::Form(serde_urlencoded::to_string(pairs).expect("string pairs always form-encode"))
    }

    /// `value` as JSON.
    #[allow(clippy::expect_used, reason = "the requests are structs of strings")]
    pub fn json(value: &impl Serialize) -> Self {
        Self::Json(serde_json::to_vec(value).expect("a request of strings always serializes"))
    }
}

/// The issuer's answer: status and body.
pub struct IssuerAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, up to the cap.
    pub body: Vec<u8>,
}

/// The request got no answer (or no answer in time): the endpoint without its query, and why,
/// printable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreachable {
    /// The endpoint (no query, no secrets).
    pub url: String,
    /// What went wrong, in the transport's words (never a token: none is in a URL or an error).
    pub reason: String,
}

impl Unreachable {
    fn new(url: &Url, reason: &str) -> Self {
        let mut shown = url.clone();
        shown.set_query(None);
        Self {
            url: shown.to_string(),
            reason: super::error::sanitize(reason),
        }
    }
}

impl From<Unreachable> for OAuthError {
    fn from(unreachable: Unreachable) -> Self {
        OAuthError::IssuerUnreachable {
            url: unreachable.url,
            reason: unreachable.reason,
        }
    }
}

/// POSTs `body` to `url` and reads the answer, with no time limit of its own: the caller bounds
/// it (the renewal's and the sign-out's deadlines).
pub async fn send(
    http: &dyn HttpClient,
    config: &Config,
    url: &Url,
    body: RequestBody,
) -> Result<IssuerAnswer, Unreachable> {
    let (content_type, bytes) = match body {
        RequestBody::Form(form) => ("application/x-www-form-urlencoded", form.into_bytes()),
        RequestBody::Json(json) => ("application/json", json),
    };
    let request = http::Request::post(url.as_str())
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .header(header::USER_AGENT, config.user_agent())
        .body(AsyncBody::from(bytes))
        .map_err(|error| Unreachable::new(url, &error.to_string()))?;
    let exchange = async {
        let response = http.send(request).await?;
        let status = response.status();
        let mut body = Vec::new();
        response
            .into_body()
            .take(MAX_BODY_BYTES)
            .read_to_end(&mut body)
            .await?;
        anyhow::Ok(IssuerAnswer { status, body })
    };
    exchange
        .await
        .map_err(|error| Unreachable::new(url, &format!("{error:#}")))
}

/// [`send`], bounded by [`REQUEST_TIMEOUT`] on `executor`'s clock: a sign-in step.
pub async fn post(
    http: &dyn HttpClient,
    executor: &BackgroundExecutor,
    config: &Config,
    url: &Url,
    body: RequestBody,
) -> Result<IssuerAnswer, OAuthError> {
    match within(
        executor,
        REQUEST_TIMEOUT,
        send(http, config, url, body).boxed(),
    )
    .await
    {
        Ok(answer) => Ok(answer?),
        Err(_elapsed) => Err(Unreachable::new(
            url,
            &format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        )
        .into()),
    }
}

impl IssuerAnswer {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        self.status.is_success()
    }

    /// Parses a successful answer's JSON body.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, OAuthError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            OAuthError::issuer(
                None,
                None,
                &format!("its answer could not be read ({error})"),
            )
        })
    }

    /// The error this (non-2xx) answer stands for, with the issuer's code and message. Knows the
    /// shapes `{"error":"code","error_description":"…"}` (RFC 6749 §5.2),
    /// `{"error":{"code":"…","message":"…"}}` and `{"code":"…","message":"…"}`; any other body
    /// (an HTML page, a proxy's text) is never shown: the error is worded from the status.
    pub fn error(&self) -> OAuthError {
        let status = Some(self.status.as_u16());
        let json: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        let text = |value: Option<&serde_json::Value>| {
            value
                .and_then(serde_json::Value::as_str)
                .map(str::to_string)
        };
        if let Some(json) = json.as_ref().filter(|json| json.is_object()) {
            let (code, message) = match json.get("error") {
                Some(serde_json::Value::String(code)) => (
                    Some(code.clone()),
                    text(json.get("error_description")).or(text(json.get("message"))),
                ),
                Some(object @ serde_json::Value::Object(_)) => (
                    text(object.get("code")).or(text(object.get("type"))),
                    text(object.get("message")),
                ),
                _ => (
                    text(json.get("code")),
                    text(json.get("message")).or(text(json.get("detail"))),
                ),
            };
            if code.is_some() || message.is_some() {
                return OAuthError::issuer(status, code.as_deref(), &message.unwrap_or_default());
            }
        }
        OAuthError::issuer(status, None, "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str) -> IssuerAnswer {
        IssuerAnswer {
            status: StatusCode::from_u16(status).unwrap(),
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn reads_every_error_shape() {
        let cases = [
            (
                r#"{"error":"invalid_grant","error_description":"Code used"}"#,
                Some("invalid_grant"),
                "Code used",
            ),
            (
                r#"{"error":{"code":"token_expired","message":"Expired"}}"#,
                Some("token_expired"),
                "Expired",
            ),
            (r#"{"code":"bad","message":"Nope"}"#, Some("bad"), "Nope"),
            ("<html>Bad Gateway</html>", None, ""),
            ("", None, ""),
            (r#"{"detail":null}"#, None, ""),
        ];
        for (body, expected_code, expected_message) in cases {
            match answer(400, body).error() {
                OAuthError::IssuerError {
                    status,
                    code,
                    message,
                } => {
                    assert_eq!(status, Some(400));
                    assert_eq!(code.as_deref(), expected_code, "{body}");
                    assert_eq!(message, expected_message, "{body}");
                }
                other => panic!("{other:?}"),
            }
        }
        let page = answer(502, "<html>\u{1b}[2JBad Gateway</html>")
            .error()
            .to_string();
        assert_eq!(
            page,
            "The request for the sign-in failed: the ChatGPT sign-in server answered HTTP 502 \
             Bad Gateway; try again in a few minutes."
        );
        let refused = answer(
            400,
            r#"{"error":"invalid_grant","error_description":"Code used"}"#,
        )
        .error()
        .to_string();
        assert!(
            refused.ends_with(
                "answered HTTP 400 Bad Request (invalid_grant: \"Code used\"); start the sign-in \
                 again."
            ),
            "{refused}"
        );
        assert_eq!(
            answer(
                403,
                r#"{"error":{"code":"missing_codex_entitlement","message":"x"}}"#
            )
            .error(),
            OAuthError::NoCodexEntitlement
        );
    }
}
