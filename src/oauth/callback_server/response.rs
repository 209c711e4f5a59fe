//! Writing an answer to the browser: an HTTP/1.1 response carrying an [`html_page`] page, then
//! closing the connection.
//!
//! Every answer says `Connection: close` (one request per connection keeps the server simple),
//! forbids caching (the URL held a code), sends no referrer onwards (the URL held a code), and
//! allows no script or external resource on the page.
//!
//! [`html_page`]: crate::oauth::html_page

use crate::oauth::html_page::Page;
use crate::oauth::time_limit::within;
use async_net::TcpStream;
use futures::{AsyncReadExt as _, AsyncWriteExt as _};
use gpui::BackgroundExecutor;
use std::net::Shutdown;
use std::time::Duration;

/// After an error answer, at most this much of what the client still sends is read and dropped.
const MAX_DRAIN_BYTES: usize = 1024 * 1024;

/// What to do with the connection once the answer is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterAnswer {
    /// Close it at once: the whole request was read.
    Close,
    /// Read and drop whatever the client is still sending, then close. Closing a socket with
    /// unread bytes in it makes the kernel reset the connection, and the client may then lose
    /// the answer (an oversized head answered 431 before it was all read, a `POST` body).
    DrainThenClose,
}

/// The response bytes: status line, headers, and the page.
pub fn encode(page: &Page, extra_headers: &[(&str, &str)]) -> Vec<u8> {
    let body = page.render();
    let mut head = format!(
        "HTTP/1.1 {} {}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Connection: close\r\n\
         Cache-Control: no-store\r\n\
         Referrer-Policy: no-referrer\r\n\
         X-Content-Type-Options: nosniff\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n",
        page.status.as_u16(),
        page.status.canonical_reason().unwrap_or("Unknown"),
        body.len(),
    );
    for (name, value) in extra_headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    bytes
}

/// Writes `page` and closes, all within `limit` (a client that never reads must not hold the
/// connection open). Failures are ignored: the browser may already have gone, and nothing
/// depends on it having seen the page.
pub async fn answer(
    mut stream: TcpStream,
    executor: &BackgroundExecutor,
    limit: Duration,
    page: &Page,
    extra_headers: &[(&str, &str)],
    after: AfterAnswer,
) {
    let bytes = encode(page, extra_headers);
    let written = within(executor, limit, async {
        stream.write_all(&bytes).await?;
        stream.flush().await
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        return;
    }
    stream.shutdown(Shutdown::Write).ok();
    if after == AfterAnswer::DrainThenClose {
        within(executor, limit, async {
            let mut sink = [0u8; 4096];
            let mut drained = 0;
            while drained < MAX_DRAIN_BYTES {
                match stream.read(&mut sink).await {
                    Ok(0) | Err(_) => break,
                    Ok(read) => drained = drained.saturating_add(read),
                }
            }
        })
        .await
        .ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_client::http::StatusCode;

    #[test]
    fn encodes_a_closing_uncacheable_answer() {
        let page = Page::error(StatusCode::METHOD_NOT_ALLOWED, "Wrong method", "Use GET.");
        let bytes = encode(&page, &[("Allow", "GET")]);
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"));
        assert!(head.contains("\r\nConnection: close"));
        assert!(head.contains("\r\nAllow: GET"));
        assert!(head.contains(&format!("\r\nContent-Length: {}", body.len())));
    }
}
