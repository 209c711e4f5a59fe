//! A real [`http_client::HttpClient`] for the command line, the demo and the integration tests.
//!
//! Inside Zed the app's own client (`App::http_client()`) is used; outside it, this one. It reuses
//! the reqwest fork that `gpui_http_client` already brings in, so the crate has one HTTP stack.
//!
//! One client serves a whole process, so its connection pool is reused: over TLS it offers HTTP/2
//! by ALPN (the `http2` feature), and every request to a server that accepts it multiplexes over
//! one connection. [`preconnect`] opens that connection before the first request needs it.

mod preconnect;
mod reqwest_client;

pub use preconnect::{PRECONNECT_INTERVAL, PreconnectThrottle, preconnect};
pub use reqwest_client::ReqwestHttpClient;
