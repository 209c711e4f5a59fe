//! A stand-in for the user's browser in a browser sign-in: it opens the authorize URL at the
//! emulator, follows the issuer's redirect to the client's loopback callback, and reports what
//! each step answered. Tests and the headless demo use it where a person would click "Continue".
//!
//! It runs on the emulator's own runtime and hands back an executor-agnostic future, so it can
//! be awaited from a gpui test (after `allow_parking`) as well as from tokio, and never blocks
//! the thread that may be serving the callback.

use anyhow::{Context as _, Result, anyhow};
use futures::channel::oneshot;
use std::future::Future;
use url::Url;

/// What the browser saw.
#[derive(Clone, Debug)]
pub struct BrowserVisit {
    /// The authorize endpoint's status (302 when it redirected).
    pub authorize_status: u16,
    /// The page the authorize endpoint answered with, when it did not redirect.
    pub authorize_body: String,
    /// Where the issuer redirected to (the client's callback with `code`/`state` or `error`).
    pub redirected_to: Option<Url>,
    /// The callback's status, when the browser got there.
    pub callback_status: Option<u16>,
    /// The callback's page.
    pub callback_body: Option<String>,
}

/// Visits `authorize_url` and follows one redirect, on `runtime`.
pub fn visit(
    runtime: &tokio::runtime::Handle,
    authorize_url: &str,
) -> impl Future<Output = Result<BrowserVisit>> + Send + 'static {
    let (sender, receiver) = oneshot::channel();
    let authorize_url = authorize_url.to_string();
    runtime.spawn(async move {
        sender.send(run(&authorize_url).await).ok();
    });
    async move {
        receiver
            .await
            .map_err(|_| anyhow!("the emulator stopped during the browser visit"))?
    }
}

async fn run(authorize_url: &str) -> Result<BrowserVisit> {
    let client = reqwest::Client::builder()
        .redirect_policy(reqwest::redirect::Policy::none())
        .build()
        .context("could not build the browser's HTTP client")?;
    let authorize = client
        .get(authorize_url)
        .send()
        .await
        .context("the browser could not reach the authorize URL")?;
    let authorize_status = authorize.status().as_u16();
    let location = authorize
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Url::parse(value).ok());
    let authorize_body = authorize.text().await.unwrap_or_default();
    let mut visit = BrowserVisit {
        authorize_status,
        authorize_body,
        redirected_to: location.clone(),
        callback_status: None,
        callback_body: None,
    };
    if let Some(callback) = location {
        let answer = client
            .get(callback)
            .send()
            .await
            .context("the browser could not reach the callback")?;
        visit.callback_status = Some(answer.status().as_u16());
        visit.callback_body = Some(answer.text().await.unwrap_or_default());
    }
    Ok(visit)
}
