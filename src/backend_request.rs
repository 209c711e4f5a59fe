//! The headers every authenticated backend request carries.
//!
//! Both the model catalog (`GET /models`) and the Responses API (`POST /responses`) need the
//! bearer token, the ChatGPT account id and the client's identity; they build their requests
//! from [`authenticated_request`] so the header set is written down once.

use crate::config::Config;
use crate::secret::AccessToken;
use http_client::{Method, http};

/// What the backend needs to know who is asking: the access token and the account it belongs to.
#[derive(Clone, Debug)]
pub struct BackendAuth {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Sent as `ChatGPT-Account-Id`; the backend rejects a token used with another account.
    pub account_id: String,
}

/// A request builder for `url` with the auth and identity headers set.
pub fn authenticated_request(
    config: &Config,
    auth: &BackendAuth,
    method: Method,
    url: &url::Url,
) -> http::request::Builder {
    http::Request::builder()
        .method(method)
        .uri(url.as_str())
        .header(
            "Authorization",
            format!("Bearer {}", auth.access_token.secret()),
        )
        .header("ChatGPT-Account-Id", &auth.account_id)
        .header("originator", &config.originator)
        .header("User-Agent", config.user_agent())
}
