//! Opening a socket: TCP (async-net), TLS for `wss` (futures-rustls with the system's roots,
//! as the HTTP stack's rustls), and the upgrade with the headers every backend call carries
//! (bearer token, account, `originator`, `User-Agent`), plus `OpenAI-Beta:
//! responses_websockets=2026-02-06` and the thread as `session-id`, `thread-id` and
//! `x-client-request-id`. permessage-deflate is offered; the server may decline it.

use super::deflate::PerMessageDeflate;
use crate::backend_request::{BackendAuth, BackendCall, BackendRequest};
use crate::config::Config;
use crate::responses::MAX_EVENT_BYTES;
use futures::{AsyncRead, AsyncWrite};
use futures_rustls::rustls;
use http_client::Method;
use std::hash::Hasher as _;
use std::sync::Arc;
use std::time::Instant;
use url::Url;

/// The `OpenAI-Beta` value of the WebSocket protocol this crate speaks.
pub(crate) const WEBSOCKET_BETA: &str = "responses_websockets=2026-02-06";

/// The byte stream under the socket: plain TCP or TLS.
pub(crate) trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}
pub(crate) type Stream = Box<dyn Io>;

/// Which sign-in a socket was opened with: a hash of its access token (never the token).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenTag(u64);

impl TokenTag {
    pub(crate) fn of(auth: &BackendAuth) -> Self {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        hasher.write(auth.access_token.secret().as_bytes());
        Self(hasher.finish())
    }
}

/// An open socket.
pub(crate) struct Connection {
    pub(crate) sender: soketto::Sender<Stream>,
    pub(crate) receiver: soketto::Receiver<Stream>,
    pub(crate) opened_at: Instant,
    pub(crate) token: TokenTag,
    /// The model catalog's `ETag` the upgrade's answer carried (`x-models-etag`), reported with
    /// the first answer on the socket.
    pub(crate) models_etag: Option<String>,
    /// The pool's place this socket holds, freed when it closes.
    pub(crate) slot: Option<super::pool::SocketSlot>,
    /// Where the socket's earlier frames put their repeated fields (deflate's window).
    pub(crate) layout: super::frame::FrameLayout,
}

/// The most of the upgrade's answer kept to read its headers.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// Copies what is read until taken: the upgrade's answer head, whose headers soketto's
/// handshake does not hand out.
struct HeadTap<S> {
    inner: S,
    tap: Arc<parking_lot::Mutex<Option<Vec<u8>>>>,
}

impl<S: AsyncRead + Unpin> AsyncRead for HeadTap<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut [u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let poll = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(read)) = &poll
            && let Some(tap) = self.tap.lock().as_mut()
            && tap.len() < MAX_HEAD_BYTES
        {
            tap.extend_from_slice(buf.get(..*read).unwrap_or_default());
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeadTap<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_close(cx)
    }
}

/// `x-models-etag` from the head of the upgrade's answer.
fn models_etag(head: &[u8]) -> Option<String> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(head).ok()?;
    response
        .headers
        .iter()
        .find(|header| header.name.eq_ignore_ascii_case("x-models-etag"))
        .and_then(|header| std::str::from_utf8(header.value).ok())
        .map(str::to_string)
}

/// Why no socket opened.
#[derive(Debug)]
pub(crate) enum ConnectError {
    /// The server answered the upgrade with this status instead of 101.
    Refused(u16),
    /// The network, TLS or the handshake failed (no secret in the text).
    Failed(String),
}

/// `{backend}/responses` with `ws`/`wss` for `http`/`https`.
pub(crate) fn websocket_url(config: &Config) -> Url {
    let mut url = config.responses_url();
    let scheme = match url.scheme() {
        "https" | "wss" => "wss",
        _ => "ws",
    };
    // `set_scheme` refuses only special-to-non-special changes; http ↔ ws are both special.
    let _ = url.set_scheme(scheme);
    url
}

/// Opens a socket for `thread` with `auth`.
pub(crate) async fn connect(
    config: &Config,
    auth: &BackendAuth,
    thread: Option<&str>,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Connection, ConnectError> {
    let url = websocket_url(config);
    let host = url
        .host_str()
        .ok_or_else(|| ConnectError::Failed("the backend URL has no host".into()))?
        .to_string();
    let port = url
        .port_or_known_default()
        .ok_or_else(|| ConnectError::Failed("the backend URL has no port".into()))?;
    let tcp = async_net::TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|error| ConnectError::Failed(format!("could not connect to {host}: {error}")))?;
    tcp.set_nodelay(true).ok();
    let stream: Stream =
        if url.scheme() == "wss" {
            let name = rustls::pki_types::ServerName::try_from(host.clone())
                .map_err(|error| ConnectError::Failed(format!("invalid host {host}: {error}")))?;
            let connector = futures_rustls::TlsConnector::from(tls.clone());
            Box::new(connector.connect(name, tcp).await.map_err(|error| {
                ConnectError::Failed(format!("TLS with {host} failed: {error}"))
            })?)
        } else {
            Box::new(tcp)
        };
    let tap = Arc::new(parking_lot::Mutex::new(Some(Vec::new())));
    let stream: Stream = Box::new(HeadTap {
        inner: stream,
        tap: tap.clone(),
    });

    let mut builder = BackendRequest::new(config, auth, BackendCall::Answer, Method::GET, &url)
        .header("OpenAI-Beta", WEBSOCKET_BETA);
    if let Some(thread) = thread {
        builder = builder
            .header("session-id", thread)
            .header("thread-id", thread)
            .header("x-client-request-id", thread);
    }
    let head = builder
        .head()
        .map_err(|error| ConnectError::Failed(error.to_string()))?;
    let headers: Vec<(String, Vec<u8>)> = head
        .headers()
        .iter()
        .filter(|(name, _)| *name != "accept")
        .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
        .collect();
    let header_refs: Vec<soketto::handshake::client::Header<'_>> = headers
        .iter()
        .map(|(name, value)| soketto::handshake::client::Header {
            name: name.as_str(),
            value: value.as_slice(),
        })
        .collect();
    let host_header = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let resource = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let mut client = soketto::handshake::Client::new(stream, &host_header, &resource);
    client.set_headers(&header_refs);
    client.add_extension(Box::new(PerMessageDeflate::new(MAX_EVENT_BYTES)));
    match client.handshake().await {
        Ok(soketto::handshake::ServerResponse::Accepted { .. }) => {}
        Ok(
            soketto::handshake::ServerResponse::Rejected { status_code }
            | soketto::handshake::ServerResponse::Redirect { status_code, .. },
        ) => return Err(ConnectError::Refused(status_code)),
        Err(error) => {
            return Err(ConnectError::Failed(format!(
                "the WebSocket upgrade failed: {error}"
            )));
        }
    }
    let head = tap.lock().take().unwrap_or_default();
    let models_etag = models_etag(&head);
    let mut builder = client.into_builder();
    builder.set_max_message_size(MAX_EVENT_BYTES);
    builder.set_max_frame_size(MAX_EVENT_BYTES);
    let (sender, receiver) = builder.finish();
    Ok(Connection {
        sender,
        receiver,
        opened_at: Instant::now(),
        token: TokenTag::of(auth),
        models_etag,
        slot: None,
        layout: super::frame::FrameLayout::default(),
    })
}

/// TLS with the system's roots (what the HTTP stack trusts: `rustls-tls-native-roots`).
pub(crate) fn tls_config() -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        log::debug!("skipping a system certificate: {error}");
    }
    let (added, ignored) = roots.add_parsable_certificates(found.certs);
    log::debug!("WebSocket TLS: {added} system roots ({ignored} unusable)");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map(|builder| {
            builder
                .with_root_certificates(roots.clone())
                .with_no_client_auth()
        })
        .unwrap_or_else(|_| {
            rustls::ClientConfig::builder()
                .with_root_certificates(roots)
                .with_no_client_auth()
        });
    Arc::new(config)
}
