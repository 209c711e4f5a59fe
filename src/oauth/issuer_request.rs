//! One request to the issuer and its answer: the transport details every sign-in step shares.
//!
//! Each request is bounded by [`REQUEST_TIMEOUT`] on the executor's clock (the HTTP client
//! itself only bounds connecting), its answer body is read up to a cap, and failures become
//! [`OAuthError`]s: no answer is [`OAuthError::IssuerUnreachable`], an error status is
//! [`OAuthError::IssuerError`] with the issuer's own code and message, whichever of the shapes
//! below it used.

use super::error::OAuthError;
use super::time_limit::within;
use futures::{AsyncReadExt as _, FutureExt as _};
use gpui::BackgroundExecutor;
use http_client::http::{self, StatusCode, header};
use http_client::{AsyncBody, HttpClient};
use serde::de::DeserializeOwned;
use std::time::Duration;
use url::Url;

/// How long one issuer request may take, answer body included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer body read (token answers are a few KiB).
const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// A request body, with the content type it is sent as.
pub enum RequestBody {
    /// `application/x-www-form-urlencoded` (RFC 6749 §4.1.3 token requests).
    Form(String),
    /// `application/json` (the device-code endpoints).
    Json(serde_json::Value),
}

/// The issuer's answer: status and body.
pub struct IssuerAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body, up to the cap.
    pub body: Vec<u8>,
}

/// POSTs `body` to `url` and reads the whole answer.
pub async fn post(
    http: &dyn HttpClient,
    executor: &BackgroundExecutor,
    url: &Url,
    body: RequestBody,
) -> Result<IssuerAnswer, OAuthError> {
    let (content_type, bytes) = match body {
        RequestBody::Form(form) => ("application/x-www-form-urlencoded", form.into_bytes()),
        RequestBody::Json(json) => ("application/json", json.to_string().into_bytes()),
    };
    let request = http::Request::post(url.as_str())
        .header(header::CONTENT_TYPE, content_type)
        .header(header::ACCEPT, "application/json")
        .body(AsyncBody::from(bytes))
        .map_err(|error| unreachable_error(url, &error.to_string()))?;
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
    match within(executor, REQUEST_TIMEOUT, exchange.boxed()).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) => Err(unreachable_error(url, &format!("{error:#}"))),
        Err(_elapsed) => Err(unreachable_error(
            url,
            &format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        )),
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

fn unreachable_error(url: &Url, reason: &str) -> OAuthError {
    let mut shown = url.clone();
    shown.set_query(None);
    OAuthError::IssuerUnreachable {
        url: shown.to_string(),
        reason: super::error::sanitize(reason),
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
