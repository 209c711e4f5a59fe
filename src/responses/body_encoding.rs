//! How the body of `POST {backend}/responses` travels: zstd-compressed JSON by default
//! (`Content-Encoding: zstd`, RFC 8878 §7.2 and RFC 9110 §8.4), plain JSON when configured off or
//! when the server refused zstd.
//!
//! With `store: false` every turn re-sends the whole thread (messages, tool output, encrypted
//! reasoning), so a long agent thread is megabytes per turn; zstd cuts that several times over
//! for a few milliseconds of CPU (`benches/RESULTS.md`). The Codex CLI sends zstd bodies to the
//! same backend.
//!
//! A server that does not understand the encoding answers `415 Unsupported Media Type`
//! (RFC 9110 §15.5.16, RFC 7694 §3). [`send_json_body`] then sends the same request once more,
//! uncompressed, and remembers the refusal for that backend in the caller's [`ZstdRefusals`]
//! (on disk, for a day), so later turns and later processes go out plain at once instead of
//! paying a refused round trip each time.

use super::error::ResponsesError;
use super::zstd_refusals::ZstdRefusals;
use crate::config::{Config, RequestCompression};
use http_client::{AsyncBody, HttpClient, Response, http};
use std::sync::Arc;

/// The zstd level for request bodies, chosen by measurement on a realistic 150-turn agent
/// thread (`cargo bench --bench request_cost -- zstd_level`): level 3 (zstd's default) gives
/// nearly all of level 9's ratio at a fraction of its CPU time, while level 1 saves a little CPU
/// for visibly larger bodies. See `benches/RESULTS.md`.
pub const ZSTD_LEVEL: i32 = 3;

/// The `Content-Encoding` token for zstd (RFC 8878 §7.2).
pub(crate) const ZSTD_ENCODING: &str = "zstd";

/// The compression the next request to `config`'s backend will use: the configured one, unless
/// that backend refused it (as `refusals` remembers).
pub(crate) fn effective_compression(
    config: &Config,
    refusals: &ZstdRefusals,
) -> RequestCompression {
    match config.request_compression {
        RequestCompression::Zstd if refusals.is_refused(config.responses_url().as_str()) => {
            RequestCompression::None
        }
        configured => configured,
    }
}

/// `json` compressed as one zstd frame at [`ZSTD_LEVEL`], as the request body streams it.
pub fn compress_zstd(json: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::stream::encode_all(json, ZSTD_LEVEL)
}

/// A request body that compresses `json` as the HTTP client reads it. The CPU work happens on
/// the client's I/O thread, chunk by chunk while earlier chunks are on the wire, not on the
/// executor that called [`send_json_body`] (in Zed, the UI thread). The body's length is not
/// known ahead, so HTTP/1.1 sends it chunked (RFC 9112 §7.1).
fn zstd_body(json: Arc<[u8]>) -> std::io::Result<AsyncBody> {
    let encoder = zstd::stream::read::Encoder::new(std::io::Cursor::new(json), ZSTD_LEVEL)?;
    Ok(AsyncBody::from_reader(futures::io::AllowStdIo::new(
        encoder,
    )))
}

/// Sends `head` with `json` as its body, zstd-compressed unless configured off or refused
/// before; after a 415 to a compressed body, sends it once more uncompressed and remembers the
/// refusal in `refusals`.
pub(crate) async fn send_json_body(
    http: &dyn HttpClient,
    config: &Config,
    refusals: &ZstdRefusals,
    head: http::Request<()>,
    json: Vec<u8>,
) -> Result<Response<AsyncBody>, ResponsesError> {
    let json: Arc<[u8]> = json.into();
    if effective_compression(config, refusals) == RequestCompression::Zstd {
        let body = zstd_body(json.clone())?;
        let response = send(http, &head, Some(ZSTD_ENCODING), body).await?;
        if response.status() != http::StatusCode::UNSUPPORTED_MEDIA_TYPE {
            return Ok(response);
        }
        refusals.remember(config.responses_url().as_str());
        log::warn!(
            "the backend refused a zstd-compressed request body (415): \
             sending request bodies uncompressed from now on"
        );
    }
    send(http, &head, None, AsyncBody::from(json.to_vec())).await
}

async fn send(
    http: &dyn HttpClient,
    head: &http::Request<()>,
    content_encoding: Option<&'static str>,
    body: AsyncBody,
) -> Result<Response<AsyncBody>, ResponsesError> {
    let mut builder = http::Request::builder()
        .method(head.method().clone())
        .uri(head.uri().clone())
        .version(head.version());
    if let Some(headers) = builder.headers_mut() {
        *headers = head.headers().clone();
        if let Some(encoding) = content_encoding {
            headers.insert(
                http::header::CONTENT_ENCODING,
                http::HeaderValue::from_static(encoding),
            );
        }
    }
    let request = builder.body(body).map_err(|error| ResponsesError::Send {
        host: head.uri().host().unwrap_or_default().to_string(),
        error: error.into(),
    })?;
    http.send(request)
        .await
        .map_err(|error| ResponsesError::Send {
            host: head.uri().host().unwrap_or_default().to_string(),
            error,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compressed_bodies_decode_to_the_same_bytes() {
        let json = serde_json::to_vec(&serde_json::json!({
            "input": vec!["the same tool output, again and again"; 200],
        }))
        .unwrap();
        let compressed = compress_zstd(&json).unwrap();
        assert!(compressed.len() * 10 < json.len(), "{}", compressed.len());
        assert_eq!(zstd::decode_all(compressed.as_slice()).unwrap(), json);
    }

    #[test]
    fn a_refusal_is_remembered_per_backend() {
        let refusing =
            Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/refuses").unwrap();
        let other = Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/other").unwrap();
        let refusals = ZstdRefusals::default();
        assert_eq!(
            effective_compression(&refusing, &refusals),
            RequestCompression::Zstd
        );
        refusals.remember(refusing.responses_url().as_str());
        refusals.remember(refusing.responses_url().as_str());
        assert_eq!(
            effective_compression(&refusing, &refusals),
            RequestCompression::None
        );
        assert_eq!(
            effective_compression(&other, &refusals),
            RequestCompression::Zstd
        );
        let off = Config {
            request_compression: RequestCompression::None,
            ..other
        };
        assert_eq!(
            effective_compression(&off, &refusals),
            RequestCompression::None
        );
    }
}
