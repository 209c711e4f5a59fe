//! The error answers the emulator sends, in the shapes the real services use.
//!
//! Two shapes exist on the wire, and clients must read both:
//! - the OAuth 2.0 shape (RFC 6749 §5.2) for the authorization-code grant:
//!   `{"error": "invalid_grant", "error_description": "…"}`;
//! - the OpenAI API shape for the refresh grant and the backend:
//!   `{"error": {"message", "type", "param", "code"}}`.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;

/// An RFC 6749 §5.2 error: `{"error": code, "error_description": description}`.
pub fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    let mut response = (
        status,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response();
    // RFC 6749 §5.1: token responses must not be cached.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// An OpenAI API error: `{"error": {"message", "type", "param", "code"}}`.
pub fn api_error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    param: Option<&str>,
    message: &str,
) -> Response {
    (
        status,
        Json(json!({
            "error": {"message": message, "type": kind, "param": param, "code": code}
        })),
    )
        .into_response()
}

/// A 400 `invalid_request_error` from the backend, with the parameter it is about.
pub fn invalid_request(param: Option<&str>, message: &str) -> Response {
    api_error(
        StatusCode::BAD_REQUEST,
        "invalid_request_error",
        None,
        param,
        message,
    )
}

/// An HTML error page (for the browser-facing authorize endpoint), with the message escaped.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><title>Sign-in error</title>\
         <meta name=\"color-scheme\" content=\"light dark\"></head><body>\
         <h1>Something went wrong</h1><p>{}</p></body></html>",
        html_escape::encode_text(message)
    );
    (status, Html(body)).into_response()
}

/// A `server_error` with an injected status (the `ModelsStatus` and `UsageStatus` faults), its
/// message the status's reason phrase.
pub fn injected_status(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    api_error(
        status,
        "server_error",
        None,
        None,
        status.canonical_reason().unwrap_or("Error"),
    )
}

/// Any status and JSON body (for faults).
pub fn raw(status: u16, body: serde_json::Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(body)).into_response()
}

/// An error answer on its way out of a check. Boxed, because a `Response` is large and checks
/// return it in the `Err` variant of every `Result`.
pub struct Rejection(Box<Response>);

impl From<Response> for Rejection {
    fn from(response: Response) -> Self {
        Self(Box::new(response))
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// Any status with exactly this body and content type (for [`Fault::RawAnswer`]).
///
/// [`Fault::RawAnswer`]: super::Fault::RawAnswer
pub fn raw_body(status: u16, content_type: &str, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, body).into_response();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

/// The answer a queued fault for `route` asks for, if one is queued: a [`Fault::RawAnswer`] (any
/// body and content type) or the route's status fault (`status_of` names it and reads its status)
/// as a `server_error`. One dispatch for the routes that take both kinds.
pub fn injected_answer(
    state: &super::state::SharedState,
    route: super::faults::FaultRoute,
    status_of: impl Fn(&super::faults::Fault) -> Option<u16>,
) -> Option<Response> {
    use super::faults::Fault;
    let fault =
        state.take_fault(|fault| status_of(fault).is_some() || fault.is_raw_answer_for(route))?;
    Some(match fault {
        Fault::RawAnswer {
            status,
            content_type,
            body,
            ..
        } => raw_body(status, &content_type, body),
        other => injected_status(status_of(&other).unwrap_or(500)),
    })
}
