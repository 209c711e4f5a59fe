//! A real [`http_client::HttpClient`] for the command line, the demo and the integration tests.
//!
//! Inside Zed the app's own client (`App::http_client()`) is used; outside it, this one. It reuses
//! the reqwest fork that `gpui_http_client` already brings in, so the crate has one HTTP stack.

mod preconnect;
mod reqwest_client;

pub use preconnect::{PRECONNECT_INTERVAL, PreconnectThrottle, preconnect};
pub use reqwest_client::ReqwestHttpClient;
