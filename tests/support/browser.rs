//! The browser's side of a sign-in: following the authorize URL to the loopback callback.

use http_client::{AsyncBody, HttpClient as _, HttpRequestExt as _, RedirectPolicy};
use reqwest_client::ReqwestHttpClient;

/// Follows `url`'s redirects (the emulator approves at once and sends the browser to the
/// callback) on a thread of its own; the handle gives the last answer's status.
pub fn approve_in_browser(url: url::Url) -> std::thread::JoinHandle<u16> {
    std::thread::spawn(move || {
        let http = ReqwestHttpClient::new("browser").unwrap();
        let request = http_client::Request::builder()
            .uri(url.as_str())
            .follow_redirects(RedirectPolicy::FollowAll)
            .body(AsyncBody::empty())
            .unwrap();
        let response = futures::executor::block_on(http.send(request)).unwrap();
        response.status().as_u16()
    })
}
