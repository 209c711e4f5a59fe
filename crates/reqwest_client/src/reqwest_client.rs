//! [`ReqwestHttpClient`]: `http_client::HttpClient` over reqwest, with streaming response bodies.
//!
//! Stand-in for Zed's `reqwest_client` crate (upstream: `crates/reqwest_client/src/reqwest_client.rs`,
//! whose type is `ReqwestClient`). The product never names it: inside Zed the app's own client
//! (`cx.http_client()`) is used. Only the command line, the examples and the tests build one.
//!
//! reqwest needs a tokio runtime, while gpui's executors are not tokio. So the client owns a
//! small tokio runtime on its own threads: each request runs there, and the response body is
//! pumped chunk by chunk through a bounded channel that gpui-side code reads as an `AsyncRead`.
//! Nothing is buffered whole (SSE streams arrive as they are sent), the channel's bound gives
//! back-pressure, and dropping the body or the request future cancels the work on the runtime.

use anyhow::{Context as _, Result, anyhow};
use bytes::Bytes;
use futures::{
    SinkExt as _, StreamExt as _, TryStreamExt as _,
    channel::{mpsc, oneshot},
    future::BoxFuture,
};
use http_client::{AsyncBody, HttpClient, Inner, RedirectPolicy, Request, Response, Url, http};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// How many body chunks may wait between the network and the reader.
const BODY_CHANNEL_CHUNKS: usize = 16;
/// How long to wait for a TCP/TLS connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// An [`HttpClient`] backed by reqwest on a private tokio runtime.
pub struct ReqwestHttpClient {
    no_redirects: reqwest::Client,
    follow_redirects: reqwest::Client,
    user_agent: Option<http::HeaderValue>,
    proxy: Option<Url>,
}

/// The runtime shared by every client in the process (two worker threads are plenty: all the
/// work is I/O).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("openai-subscribed-http")
            .enable_all()
            .build()
            .expect("failed to start the HTTP runtime")
    })
}

impl ReqwestHttpClient {
    /// A client that sends `user_agent` unless a request sets its own.
    pub fn new(user_agent: &str) -> Result<Arc<Self>> {
        let user_agent = http::HeaderValue::from_str(user_agent).context("invalid user agent")?;
        let proxy = http_client::read_proxy_from_env();
        let build = |policy: reqwest::redirect::Policy| {
            reqwest::Client::builder()
                .user_agent(user_agent.clone())
                .connect_timeout(CONNECT_TIMEOUT)
                .redirect_policy(policy)
                .build()
                .context("failed to build the HTTP client")
        };
        Ok(Arc::new(Self {
            no_redirects: build(reqwest::redirect::Policy::none())?,
            follow_redirects: build(reqwest::redirect::Policy::limited(10))?,
            user_agent: Some(user_agent),
            proxy,
        }))
    }

    fn client_for(&self, policy: Option<&RedirectPolicy>) -> reqwest::Client {
        match policy {
            None | Some(RedirectPolicy::NoFollow) => self.no_redirects.clone(),
            Some(RedirectPolicy::FollowAll) | Some(RedirectPolicy::FollowLimit(_)) => {
                self.follow_redirects.clone()
            }
        }
    }
}

/// Turns the request body into something reqwest can send.
fn into_reqwest_body(body: AsyncBody) -> reqwest::Body {
    match body.0 {
        Inner::Empty => reqwest::Body::from(Bytes::new()),
        Inner::Bytes(cursor) => reqwest::Body::from(cursor.into_inner()),
        Inner::AsyncReader(reader) => {
            let stream = futures::stream::try_unfold(reader, |mut reader| async move {
                use futures::AsyncReadExt as _;
                let mut buffer = vec![0u8; 8192];
                let read = reader.read(&mut buffer).await?;
                if read == 0 {
                    return Ok::<_, std::io::Error>(None);
                }
                buffer.truncate(read);
                Ok(Some((Bytes::from(buffer), reader)))
            });
            reqwest::Body::wrap_stream(stream)
        }
    }
}

impl HttpClient for ReqwestHttpClient {
    fn type_name(&self) -> &'static str {
        std::any::type_name::<Self>()
    }

    fn user_agent(&self) -> Option<&http::HeaderValue> {
        self.user_agent.as_ref()
    }

    fn proxy(&self) -> Option<&Url> {
        self.proxy.as_ref()
    }

    fn send(&self, request: Request<AsyncBody>) -> BoxFuture<'static, Result<Response<AsyncBody>>> {
        let (parts, body) = request.into_parts();
        let client = self.client_for(parts.extensions.get::<RedirectPolicy>());
        let (response_tx, response_rx) = oneshot::channel();

        runtime().spawn(async move {
            let mut response_tx = response_tx;
            let request = client
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .version(parts.version)
                .body(into_reqwest_body(body));
            // Stop early if the caller gave up waiting.
            let sent = tokio::select! {
                sent = request.send() => sent,
                _ = response_tx.cancellation() => return,
            };
            let response = match sent {
                Ok(response) => response,
                Err(error) => {
                    // The URL may carry secrets (an OAuth `state`, a `code`): keep it out of
                    // error messages, which end up in logs and on screen.
                    response_tx.send(Err(anyhow!(error.without_url()))).ok();
                    return;
                }
            };

            let mut builder = http::Response::builder()
                .status(response.status())
                .version(response.version());
            if let Some(headers) = builder.headers_mut() {
                *headers = response.headers().clone();
            }
            let (mut chunk_tx, chunk_rx) =
                mpsc::channel::<std::io::Result<Bytes>>(BODY_CHANNEL_CHUNKS);
            let reader = chunk_rx.into_async_read();
            let Ok(head) = builder.body(AsyncBody::from_reader(reader)) else {
                response_tx.send(Err(anyhow!("invalid response head"))).ok();
                return;
            };
            if response_tx.send(Ok(head)).is_err() {
                return;
            }

            // Pump the body; a failed send means the reader was dropped, so stop reading.
            let mut chunks = response.bytes_stream();
            while let Some(chunk) = chunks.next().await {
                let chunk = chunk.map_err(|error| std::io::Error::other(error.without_url()));
                let failed = chunk.is_err();
                if chunk_tx.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });

        Box::pin(async move {
            response_rx
                .await
                .map_err(|_| anyhow!("the HTTP request was dropped before it completed"))?
        })
    }
}
