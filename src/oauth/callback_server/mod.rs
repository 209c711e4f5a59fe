//! The loopback callback server: receives the issuer's redirect (RFC 6749 §4.1.2) on
//! `http://localhost:{port}{path}`, as an OAuth native app does (RFC 8252 §7.3).
//!
//! Its API is small and knows nothing about ChatGPT, so other OAuth flows can reuse it:
//! 1. [`CallbackServer::bind`] listens on `127.0.0.1` (never all interfaces: RFC 8252 §8.3),
//!    trying the configured ports in order, and reports which one it got.
//! 2. [`CallbackServer::wait_for_callback`] serves every connection until one carries this
//!    sign-in's `state`, and returns it as a [`Callback`] with the connection still open.
//! 3. The caller exchanges the code, then answers the browser with [`Responder::respond`].
//!
//! While waiting it turns away everything else without giving up: other paths get 404, other
//! methods 405, a wrong or missing `state` 400, an oversized head 431, a connection that stays
//! silent past the read timeout 408. Connections are served concurrently inside the one waiting
//! future (a `FuturesUnordered`), so a slow or silent client does not hold up the browser, and
//! when too many are open the oldest idle one is closed to make room (see `admission`), so a
//! flood of idle connections does not shut the browser out either.
//!
//! The wait ends with the callback, with the overall timeout, or when its future is dropped
//! (cancelled, or its gpui `Task` dropped). Either way the listener and every open connection
//! are dropped with the future, so the port is free again.

mod admission;
mod connection;
mod request_head;
mod response;
mod routing;

pub use routing::{CallbackExtras, CallbackOutcome};

use self::admission::{ConnectionId, OpenConnections};
use self::connection::ConnectionContext;
use self::response::{AfterAnswer, answer};
use super::error::OAuthError;
use super::html_page::Page;
use crate::secret::CsrfState;
use async_net::{TcpListener, TcpStream};
use futures::future::{Abortable, BoxFuture};
use futures::stream::FuturesUnordered;
use futures::{FutureExt as _, StreamExt as _};
use gpui::{BackgroundExecutor, Task};
use std::future::poll_fn;
use std::io::ErrorKind;
use std::net::Ipv4Addr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;
use url::Url;

/// The ports the Codex client's redirect allow-list holds, in the order to try them.
pub(crate) const DEFAULT_PORTS: [u16; 2] = [1455, 1457];
/// The callback path registered with the issuer.
pub(crate) const DEFAULT_PATH: &str = "/auth/callback";
/// How long one connection may take to send its request head (or to take the answer).
pub(crate) const DEFAULT_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the whole wait may last.
pub(crate) const DEFAULT_OVERALL_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The request-head cap: generous for a browser with cookies, small for memory.
pub(crate) const DEFAULT_MAX_HEAD_BYTES: usize = 32 * 1024;
/// Connections served at once, so a flood cannot exhaust memory or file descriptors. When all
/// are taken, a new connection closes the oldest one that has not sent its request yet (see
/// `admission`).
pub const MAX_CONNECTIONS: usize = 128;
/// After a failed `accept` (e.g. out of file descriptors), pause before the next one.
const ACCEPT_RETRY_PAUSE: Duration = Duration::from_millis(100);

/// How the callback server listens and how patient it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallbackServerOptions {
    /// Ports to try in order. `0` asks the system for any free port (tests; the real issuer only
    /// accepts the `DEFAULT_PORTS`).
    pub ports: Vec<u16>,
    /// The callback path, e.g. `/auth/callback`.
    pub path: String,
    /// Per connection: time to send the request head, and time to take the answer.
    pub read_timeout: Duration,
    /// The whole wait for the callback.
    pub overall_timeout: Duration,
    /// The largest request head accepted; larger ones are answered 431.
    pub max_head_bytes: usize,
    /// The application the reader goes back to once the browser's part is done, named on the
    /// result page ("You can close this tab and return to Zed.").
    pub app_name: String,
}

/// The application named on the result page unless told otherwise.
pub const DEFAULT_APP_NAME: &str = "Zed";

impl Default for CallbackServerOptions {
    fn default() -> Self {
        Self {
            ports: DEFAULT_PORTS.to_vec(),
            path: DEFAULT_PATH.to_string(),
            read_timeout: DEFAULT_READ_TIMEOUT,
            overall_timeout: DEFAULT_OVERALL_TIMEOUT,
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            app_name: DEFAULT_APP_NAME.to_string(),
        }
    }
}

/// A bound, not yet waiting, callback listener.
pub struct CallbackServer {
    listener: TcpListener,
    port: u16,
    options: CallbackServerOptions,
    executor: BackgroundExecutor,
}

impl std::fmt::Debug for CallbackServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackServer")
            .field("port", &self.port)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// The sign-in's callback, with the browser's connection kept open for the answer.
#[derive(Debug)]
pub struct Callback {
    /// What the redirect carried.
    pub outcome: CallbackOutcome,
    /// The redirect's other parameters some flows read (the official route's `client_id`).
    pub extras: CallbackExtras,
    /// Answers the browser.
    pub responder: Responder,
}

/// The browser connection that brought the callback.
pub struct Responder {
    stream: TcpStream,
    executor: BackgroundExecutor,
    write_timeout: Duration,
}

impl std::fmt::Debug for Responder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Responder").finish_non_exhaustive()
    }
}

impl Responder {
    /// Sends `page` with `Connection: close` and closes. Never fails: if the browser has gone,
    /// there is nobody to tell.
    pub async fn respond(self, page: Page) {
        answer(
            self.stream,
            &self.executor,
            self.write_timeout,
            &page,
            &[],
            AfterAnswer::Close,
        )
        .await;
    }
}

impl CallbackServer {
    /// Listens on `127.0.0.1`, on the first of `options.ports` that is free.
    ///
    /// Fails with [`OAuthError::PortsBusy`] (naming every port) when all are taken, and with
    /// [`OAuthError::CallbackServer`] when the system refuses for another reason.
    pub fn bind(
        options: CallbackServerOptions,
        executor: BackgroundExecutor,
    ) -> Result<Self, OAuthError> {
        let mut other_failure = None;
        for &port in &options.ports {
            match std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, port)) {
                Ok(listener) => {
                    let listener = TcpListener::try_from(listener).map_err(server_error)?;
                    let port = listener.local_addr().map_err(server_error)?.port();
                    log::debug!("sign-in callback server listening on 127.0.0.1:{port}");
                    return Ok(Self {
                        listener,
                        port,
                        options,
                        executor,
                    });
                }
                Err(error) if error.kind() == ErrorKind::AddrInUse => {
                    log::debug!("sign-in callback port {port} is in use");
                }
                Err(error) => other_failure = Some(error),
            }
        }
        Err(match other_failure {
            Some(error) => server_error(error),
            None => OAuthError::PortsBusy {
                ports: options.ports.clone(),
            },
        })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://localhost:{port}{path}`: the `redirect_uri` to register in the authorize request
    /// (the issuer's allow-list names `localhost`, which resolves to the `127.0.0.1` listener).
    #[allow(
        clippy::expect_used,
        reason = "a constant http URL parses and takes a port"
    )]
    pub fn redirect_uri(&self) -> Url {
        let mut url = Url::parse("http://localhost/").expect("a valid URL");
        url.set_port(Some(self.port)).expect("http URLs take ports");
        url.set_path(&self.options.path);
        url
    }

    /// `http://127.0.0.1:{port}{path}`: the `redirect_uri` of the official route, whose issuer
    /// takes the IPv4 literal and never `localhost` (siwc.md §1.3).
    #[allow(
        clippy::expect_used,
        reason = "a constant http URL parses and takes a port"
    )]
    pub fn loopback_ip_redirect_uri(&self) -> Url {
        let mut url = Url::parse("http://127.0.0.1/").expect("a valid URL");
        url.set_port(Some(self.port)).expect("http URLs take ports");
        url.set_path(&self.options.path);
        url
    }

    /// Waits for the callback that carries `expected_state`, serving (and turning away) every
    /// other request meanwhile. Ends with [`OAuthError::TimedOut`] after the overall timeout.
    /// Dropping the future stops the wait and frees the port.
    pub async fn wait_for_callback(
        self,
        expected_state: CsrfState,
    ) -> Result<Callback, OAuthError> {
        let Self {
            listener,
            options,
            executor,
            ..
        } = self;
        let overall_timeout = options.overall_timeout;
        let context = Arc::new(ConnectionContext {
            executor: executor.clone(),
            options,
            expected_state,
        });
        let mut incoming = pin!(listener.incoming());
        let mut open = OpenConnections::new(MAX_CONNECTIONS);
        let mut connections =
            FuturesUnordered::<BoxFuture<'static, (ConnectionId, Option<Callback>)>>::new();
        let mut deadline = executor.timer(overall_timeout);
        let mut accept_pause: Option<Task<()>> = None;

        poll_fn(|cx| {
            if deadline.poll_unpin(cx).is_ready() {
                return Poll::Ready(Err(OAuthError::TimedOut {
                    after: overall_timeout,
                }));
            }
            loop {
                if let Some(pause) = accept_pause.as_mut() {
                    if pause.poll_unpin(cx).is_pending() {
                        break;
                    }
                    accept_pause = None;
                }
                match incoming.poll_next_unpin(cx) {
                    Poll::Ready(Some(Ok(stream))) => match open.admit() {
                        Some(admitted) => {
                            let id = admitted.id;
                            let served =
                                connection::serve(stream, context.clone(), admitted.head_read);
                            connections.push(
                                Abortable::new(served, admitted.eviction)
                                    .map(move |served| (id, served.ok().flatten()))
                                    .boxed(),
                            );
                        }
                        None => {
                            log::debug!(
                                "sign-in callback server: too many busy connections, closing one"
                            );
                            drop(stream);
                        }
                    },
                    Poll::Ready(Some(Err(error))) => {
                        log::warn!("sign-in callback server: accept failed: {error}");
                        accept_pause = Some(executor.timer(ACCEPT_RETRY_PAUSE));
                    }
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            loop {
                match connections.poll_next_unpin(cx) {
                    Poll::Ready(Some((_, Some(callback)))) => return Poll::Ready(Ok(callback)),
                    Poll::Ready(Some((id, None))) => open.ended(id),
                    Poll::Ready(None) | Poll::Pending => break,
                }
            }
            Poll::Pending
        })
        .await
    }
}

fn server_error(error: std::io::Error) -> OAuthError {
    OAuthError::CallbackServer {
        reason: error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[gpui::test]
    fn busy_ports_are_named_and_the_next_free_one_is_taken(cx: &mut gpui::TestAppContext) {
        let first = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let second = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let busy = [first, second].map(|l| (l.local_addr().unwrap().port(), l));
        let ports = vec![busy[0].0, busy[1].0];

        let options = CallbackServerOptions {
            ports: ports.clone(),
            ..CallbackServerOptions::default()
        };
        let error = CallbackServer::bind(options.clone(), cx.executor()).unwrap_err();
        assert_eq!(
            error,
            OAuthError::PortsBusy {
                ports: ports.clone()
            }
        );
        let message = error.to_string();
        assert!(
            message.contains(&format!("{} and {}", ports[0], ports[1])),
            "{message}"
        );

        // Free the second: it is taken, and the still-busy first is skipped.
        let [(_, _first), (second_port, second)] = busy;
        drop(second);
        let server = CallbackServer::bind(options, cx.executor()).unwrap();
        assert_eq!(server.port(), second_port);
        assert_eq!(
            server.redirect_uri().as_str(),
            format!("http://localhost:{second_port}/auth/callback")
        );
    }
}
