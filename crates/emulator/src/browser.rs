//! A stand-in for the user's browser in a browser sign-in: it opens the authorize URL at the
//! emulator, clicks "Continue" if the consent page is on ([`super::AuthorizePage::Consent`]: it
//! posts the page's form, as the button does), follows the issuer's redirect to the client's
//! loopback callback, and reports what each step answered. The official route's authorize URL
//! ([`crate::siwc`]) works the same way: its consent page
//! ([`SiwcConsent::Page`](crate::SiwcConsent::Page)) has the same `decision=continue` button. Tests and the headless demo use it
//! where a person would click "Continue"; `tests/browser.rs` does the same in a real Chromium.
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
    /// Whether the consent page was shown and its "Continue" clicked.
    pub clicked_continue: bool,
    /// Where the issuer redirected to (the client's callback with `code`/`state` or `error`).
    pub redirected_to: Option<Url>,
    /// The callback's status, when the browser got there.
    pub callback_status: Option<u16>,
    /// The callback's page.
    pub callback_body: Option<String>,
}

/// Visits `authorize_url`, clicks "Continue" if the consent page is shown, and follows the
/// redirect to the callback, on `runtime`.
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
    let mut location = location_of(&authorize);
    let authorize_body = authorize.text().await.unwrap_or_default();
    // The consent page's form: the authorize request again, plus the button's `decision`.
    let clicked_continue = authorize_status == 200 && authorize_body.contains(r#"name="decision""#);
    if clicked_continue {
        let page = Url::parse(authorize_url).context("the authorize URL is not a URL")?;
        let mut form: Vec<(String, String)> = page.query_pairs().into_owned().collect();
        form.push(("decision".into(), "continue".into()));
        let mut action = page;
        action.set_query(None);
        let answer = client
            .post(action)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(serde_urlencoded::to_string(&form)?)
            .send()
            .await
            .context("the browser could not post the consent page")?;
        location = location_of(&answer);
    }
    let mut visit = BrowserVisit {
        authorize_status,
        authorize_body,
        clicked_continue,
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

/// Where a redirect points, if the answer is one.
fn location_of(response: &reqwest::Response) -> Option<Url> {
    response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Url::parse(value).ok())
}
