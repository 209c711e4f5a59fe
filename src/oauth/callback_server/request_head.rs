//! Reading one HTTP/1.1 request head (RFC 9112 §2–3) from a connection, however it is split.
//!
//! A browser may send the request line and headers over several TCP segments, so bytes are
//! gathered until the blank line that ends the head, and only then handed to `httparse`. The head
//! is capped in size (an endless header is answered 431, RFC 6585 §5), and a request line that is
//! not valid HTTP, including one with raw non-UTF-8 bytes, is `Malformed`. The body, if any, is
//! never read: the callback is a `GET`.

use futures::{AsyncRead, AsyncReadExt as _};
use memchr::memmem;

/// At most this many header fields; more is treated as too large.
const MAX_HEADERS: usize = 100;

/// The parts of a request head the server routes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestHead {
    /// The method, e.g. `GET`.
    pub method: String,
    /// The request target as sent: usually origin-form (`/auth/callback?code=…`). It holds
    /// secrets, so it is never logged.
    pub target: String,
}

/// Why no request head could be read.
#[derive(Debug)]
pub(crate) enum HeadError {
    /// The head grew past the cap (or had too many fields).
    TooLarge,
    /// The bytes are not an HTTP request.
    Malformed,
    /// The peer closed the connection before the head ended.
    ClosedEarly,
    /// The socket failed.
    Io(std::io::Error),
}

/// Reads until the head is complete, then parses it.
pub(crate) async fn read_head<R: AsyncRead + Unpin>(
    reader: &mut R,
    max_bytes: usize,
) -> Result<RequestHead, HeadError> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    loop {
        let read = reader.read(&mut chunk).await.map_err(HeadError::Io)?;
        if read == 0 {
            return Err(HeadError::ClosedEarly);
        }
        // Look for the end only in the bytes that can hold it: the new ones, plus the last three
        // old ones in case the blank line straddles two reads.
        let search_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(chunk.get(..read).unwrap_or_default());
        if head_ends(buffer.get(search_from..).unwrap_or_default()) {
            return parse(&buffer);
        }
        if buffer.len() >= max_bytes {
            return Err(HeadError::TooLarge);
        }
    }
}

/// Whether `bytes` hold the blank line that ends a head. RFC 9112 §2.2 lets a server accept a
/// bare LF as a line terminator, and `httparse` does, so both endings count.
fn head_ends(bytes: &[u8]) -> bool {
    memmem::find(bytes, b"\r\n\r\n").is_some() || memmem::find(bytes, b"\n\n").is_some()
}

fn parse(bytes: &[u8]) -> Result<RequestHead, HeadError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(bytes) {
        Ok(httparse::Status::Complete(_)) => match (request.method, request.path) {
            (Some(method), Some(target)) => Ok(RequestHead {
                method: method.to_string(),
                target: target.to_string(),
            }),
            _ => Err(HeadError::Malformed),
        },
        Ok(httparse::Status::Partial) => Err(HeadError::Malformed),
        Err(httparse::Error::TooManyHeaders) => Err(HeadError::TooLarge),
        Err(_) => Err(HeadError::Malformed),
    }
}

#[cfg(test)]
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use futures::io::Cursor;

    /// A reader that hands out one byte per read, like a request split into 1-byte segments.
    struct Trickle(Vec<u8>, usize);

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            out: &mut [u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            let position = self.1;
            if position >= self.0.len() || out.is_empty() {
                return std::task::Poll::Ready(Ok(0));
            }
            out[0] = self.0[position];
            self.1 += 1;
            std::task::Poll::Ready(Ok(1))
        }
    }

    #[test]
    fn reads_a_head_split_into_single_bytes() {
        let request = b"GET /auth/callback?code=c&state=s HTTP/1.1\r\nHost: localhost\r\n\r\n";
        let head = block_on(read_head(&mut Trickle(request.to_vec(), 0), 1024)).unwrap();
        assert_eq!(head.method, "GET");
        assert_eq!(head.target, "/auth/callback?code=c&state=s");
    }

    #[test]
    fn caps_the_head_and_rejects_garbage() {
        let mut huge = b"GET / HTTP/1.1\r\n".to_vec();
        huge.extend(std::iter::repeat_n(b"X-Pad: aaaaaaaaaaaaaaaa\r\n", 5000).flatten());
        huge.extend_from_slice(b"\r\n");
        assert!(matches!(
            block_on(read_head(&mut Cursor::new(huge), 32 * 1024)),
            Err(HeadError::TooLarge)
        ));
        assert!(matches!(
            block_on(read_head(
                &mut Cursor::new(b"GET /\xff\xfe HTTP/1.1\r\n\r\n".to_vec()),
                1024
            )),
            Err(HeadError::Malformed)
        ));
        assert!(matches!(
            block_on(read_head(
                &mut Cursor::new(b"\x00\x01\x02\r\n\r\n".to_vec()),
                1024
            )),
            Err(HeadError::Malformed)
        ));
        assert!(matches!(
            block_on(read_head(
                &mut Cursor::new(b"GET / HTTP/1.1\r\n".to_vec()),
                1024
            )),
            Err(HeadError::ClosedEarly)
        ));
    }
}
