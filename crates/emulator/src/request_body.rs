//! The `Content-Encoding` of a `POST /responses` body: decoded before any check, as the real
//! backend does.
//!
//! `identity` (or no header) passes the body through; `zstd` (RFC 8878 §7.2) is decoded, up to
//! [`MAX_DECODED_BODY`] bytes so a small hostile frame cannot expand into gigabytes. Any other
//! coding, or zstd when [`RequestEncodings::IdentityOnly`] is set, is answered
//! `415 Unsupported Media Type` with an `Accept-Encoding` header naming what is accepted
//! (RFC 9110 §15.5.16, RFC 7694 §3), which is what a client's fallback to plain JSON reacts to.

use super::errors::{Rejection, api_error};
use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use std::io::Read as _;

/// The largest body `POST /responses` takes as sent (compressed or not).
pub const MAX_WIRE_BODY: usize = 64 * 1024 * 1024;
/// The largest body a zstd frame may decode to (well above a long thread's few megabytes).
pub const MAX_DECODED_BODY: u64 = 64 * 1024 * 1024;

/// Which request-body codings the emulated backend understands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RequestEncodings {
    /// Plain bodies and `zstd`, as the real backend.
    #[default]
    IdentityAndZstd,
    /// Plain bodies only: `zstd` gets a 415 (a server without zstd support, for the client's
    /// fallback).
    IdentityOnly,
}

impl RequestEncodings {
    fn accept_encoding(self) -> &'static str {
        match self {
            Self::IdentityAndZstd => "zstd, identity",
            Self::IdentityOnly => "identity",
        }
    }
}

/// The body as JSON bytes, decoded per its `Content-Encoding`, or the answer refusing it.
pub fn decode(
    accepted: RequestEncodings,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Bytes, Rejection> {
    let coding = headers
        .get(header::CONTENT_ENCODING)
        .map(|value| value.to_str().unwrap_or("?").trim().to_ascii_lowercase());
    match coding.as_deref() {
        None | Some("identity") | Some("") => Ok(body.clone()),
        Some("zstd") if accepted == RequestEncodings::IdentityAndZstd => decode_zstd(body),
        Some(other) => Err(unsupported(accepted, other)),
    }
}

fn decode_zstd(body: &Bytes) -> Result<Bytes, Rejection> {
    let malformed = || {
        Rejection::from(api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            None,
            None,
            "The request body is not a valid zstd frame.",
        ))
    };
    let decoder = zstd::stream::read::Decoder::new(body.as_ref()).map_err(|_| malformed())?;
    let mut decoded = Vec::new();
    decoder
        .take(MAX_DECODED_BODY + 1)
        .read_to_end(&mut decoded)
        .map_err(|_| malformed())?;
    if decoded.len() as u64 > MAX_DECODED_BODY {
        return Err(api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            None,
            None,
            "The decoded request body is too large.",
        )
        .into());
    }
    Ok(Bytes::from(decoded))
}

fn unsupported(accepted: RequestEncodings, coding: &str) -> Rejection {
    let mut answer = api_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "invalid_request_error",
        Some("unsupported_content_encoding"),
        None,
        &format!("Unsupported Content-Encoding '{coding}'."),
    );
    answer.headers_mut().insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static(accepted.accept_encoding()),
    );
    answer.into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::IntoResponse as _;

    fn headers(coding: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(coding) = coding {
            headers.insert(header::CONTENT_ENCODING, coding.parse().unwrap());
        }
        headers
    }

    fn decoded(result: Result<Bytes, Rejection>) -> Bytes {
        match result {
            Ok(body) => body,
            Err(refusal) => panic!("refused: {:?}", refusal.into_response().status()),
        }
    }

    fn status(result: Result<Bytes, Rejection>) -> StatusCode {
        match result {
            Ok(_) => StatusCode::OK,
            Err(refusal) => refusal.into_response().status(),
        }
    }

    #[test]
    fn decodes_zstd_and_passes_plain_bodies() {
        let json = Bytes::from_static(br#"{"model":"gpt-5"}"#);
        let compressed = Bytes::from(zstd::bulk::compress(&json, 3).unwrap());
        let accepted = RequestEncodings::IdentityAndZstd;
        assert_eq!(decoded(decode(accepted, &headers(None), &json)), json);
        assert_eq!(
            decoded(decode(accepted, &headers(Some("identity")), &json)),
            json
        );
        assert_eq!(
            decoded(decode(accepted, &headers(Some("ZSTD")), &compressed)),
            json
        );
    }

    #[test]
    fn refuses_unknown_codings_and_bad_frames() {
        let body = Bytes::from_static(b"not zstd");
        let accepted = RequestEncodings::IdentityAndZstd;
        let Err(refused) = decode(accepted, &headers(Some("br")), &body) else {
            panic!("br was accepted");
        };
        let refused = refused.into_response();
        assert_eq!(refused.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
        assert_eq!(refused.headers()[header::ACCEPT_ENCODING], "zstd, identity");
        assert_eq!(
            status(decode(
                RequestEncodings::IdentityOnly,
                &headers(Some("zstd")),
                &body
            )),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
        assert_eq!(
            status(decode(accepted, &headers(Some("zstd")), &body)),
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn a_bomb_is_cut_off() {
        let zeros = vec![0u8; MAX_DECODED_BODY as usize + 1];
        let bomb = Bytes::from(zstd::bulk::compress(&zeros, 1).unwrap());
        assert!(bomb.len() < 64 * 1024);
        let headers = headers(Some("zstd"));
        assert_eq!(
            status(decode(RequestEncodings::IdentityAndZstd, &headers, &bomb)),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }
}
