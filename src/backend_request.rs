//! One authenticated request to the ChatGPT backend, the same way for every call.
//!
//! The model catalog (`GET /models`), the usage windows (`GET /wham/usage`) and the Responses
//! API (`POST /responses`) all go through [`BackendRequest`]:
//! - **headers**: the bearer token, the ChatGPT account id, the originator, the user agent and
//!   the `Accept` type of the call, written down once in [`authenticated_request`];
//! - **body cap**: each [`BackendCall`] reads at most [`BackendCall::body_cap`] bytes of an
//!   answer (for `/responses` that bounds an error answer: an accepted one is streamed);
//! - **status**: 401 and 403 are a refused sign-in ([`BackendError::Unauthorized`]: the caller
//!   renews the token and tries again), any other failure status is worded by
//!   [`HttpFailure`], and a transport failure is [`BackendError::Transport`] in words.
//!
//! `/responses` has refusals of its own (a plan's usage limit, a context too long…), so its
//! send path builds and bounds its request here but reads a refusal with
//! `ResponsesError::from_http`; the SSE stream of an accepted answer stays in `responses`.

use crate::config::Config;
use crate::http_error::{HttpFailure, Request};
use crate::secret::AccessToken;
use futures::{AsyncRead, AsyncReadExt as _};
use http_client::http::HeaderMap;
use http_client::{AsyncBody, HttpClient, Method, StatusCode, http};

/// What the backend needs to know who is asking: the access token and the account it belongs to.
#[derive(Clone, Debug)]
pub struct BackendAuth {
    /// The bearer token.
    pub access_token: AccessToken,
    /// Sent as `ChatGPT-Account-Id`; the backend rejects a token used with another account.
    pub account_id: String,
}

/// Which backend call a request is: it decides the `Accept` type, the body cap and the words of
/// an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendCall {
    /// `GET {backend}/models`.
    ModelList,
    /// `GET …/wham/usage`.
    Usage,
    /// `POST {backend}/responses`.
    Answer,
}

impl BackendCall {
    /// The most of an answer's body this crate reads: 8 MiB of catalog (today's are tens of
    /// kilobytes), 256 KiB of usage (real answers are under a kilobyte), 64 KiB of a refused
    /// `/responses` request (an accepted one is streamed, never read whole).
    pub fn body_cap(self) -> u64 {
        match self {
            Self::ModelList => 8 * 1024 * 1024,
            Self::Usage => 256 * 1024,
            Self::Answer => 64 * 1024,
        }
    }

    /// The request as [`HttpFailure`] names it to the user.
    pub fn request(self) -> Request {
        match self {
            Self::ModelList => Request::ModelList,
            Self::Usage => Request::Usage,
            Self::Answer => Request::Answer,
        }
    }

    fn accept(self) -> &'static str {
        match self {
            Self::ModelList | Self::Usage => "application/json",
            Self::Answer => "text/event-stream",
        }
    }
}

/// Why a backend call gave no usable answer. Never holds the token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The request never got an answer, or the answer could not be read (offline, DNS,
    /// connection refused, TLS, reset…).
    #[error("could not reach the ChatGPT backend: {0}")]
    Transport(String),
    /// HTTP 401 or 403: the sign-in was refused.
    #[error("the ChatGPT backend refused the sign-in (HTTP {0}); sign in again")]
    Unauthorized(u16),
    /// Any other failure status, in the words every HTTP error of this crate shares.
    #[error("{0}")]
    Status(HttpFailure),
}

/// A successful (or, for a conditional request, `304 Not Modified`) answer, its body read up to
/// the call's cap.
#[derive(Debug)]
pub struct BackendAnswer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The answer's headers.
    pub headers: HeaderMap,
    /// The body, up to [`BackendCall::body_cap`] (empty for a `304`).
    pub body: Vec<u8>,
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

/// One backend request being built: the shared headers are set, a call adds its own.
pub struct BackendRequest {
    call: BackendCall,
    builder: http::request::Builder,
}

impl BackendRequest {
    /// A `method` request for `url`, as `call`, with the auth, identity and `Accept` headers.
    pub fn new(
        config: &Config,
        auth: &BackendAuth,
        call: BackendCall,
        method: Method,
        url: &url::Url,
    ) -> Self {
        let builder =
            authenticated_request(config, auth, method, url).header("Accept", call.accept());
        Self { call, builder }
    }

    /// Adds a header of this call (`If-None-Match`, `OpenAI-Beta`…).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// The request's head, for a caller that sends the body itself (`/responses` encodes it).
    pub fn head(self) -> Result<http::Request<()>, BackendError> {
        self.builder
            .body(())
            .map_err(|error| BackendError::Transport(format!("invalid request: {error}")))
    }

    /// Sends the request with no body and reads the answer. A `304 Not Modified` (the answer to
    /// a conditional request) comes back as an answer with an empty body; any other status but
    /// 2xx is a [`BackendError`].
    pub async fn send(self, http: &dyn HttpClient) -> Result<BackendAnswer, BackendError> {
        let call = self.call;
        let request = self
            .builder
            .body(AsyncBody::empty())
            .map_err(|error| BackendError::Transport(format!("invalid request: {error}")))?;
        let response = http
            .send(request)
            .await
            .map_err(|error| BackendError::Transport(format!("{error:#}")))?;
        let (parts, body) = response.into_parts();
        if parts.status == StatusCode::NOT_MODIFIED {
            return Ok(BackendAnswer {
                status: parts.status,
                headers: parts.headers,
                body: Vec::new(),
            });
        }
        let body = read_capped(body, call)
            .await
            .map_err(|error| BackendError::Transport(format!("reading the answer: {error}")))?;
        if !parts.status.is_success() {
            return Err(refusal(call, parts.status, &body));
        }
        Ok(BackendAnswer {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }
}

/// Reads `body` up to `call`'s cap; the rest is left unread.
pub async fn read_capped(
    body: impl AsyncRead + Unpin,
    call: BackendCall,
) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    body.take(call.body_cap()).read_to_end(&mut bytes).await?;
    Ok(bytes)
}

/// The error a failure `status` with `body` stands for: 401 and 403 are a refused sign-in,
/// anything else is worded by [`HttpFailure`] (the body shown only as the message it carries
/// for people).
pub fn refusal(call: BackendCall, status: StatusCode, body: &[u8]) -> BackendError {
    if status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN {
        return BackendError::Unauthorized(status.as_u16());
    }
    BackendError::Status(HttpFailure::from_body(
        call.request(),
        status.as_u16(),
        body,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::executor::block_on;
    use http_client::{FakeHttpClient, Response};

    fn auth() -> BackendAuth {
        BackendAuth {
            access_token: AccessToken::new("token-123".to_string()),
            account_id: "acct_1".to_string(),
        }
    }

    #[test]
    fn refusals_are_a_refused_sign_in_or_a_worded_failure() {
        for status in [401, 403] {
            let error = refusal(
                BackendCall::Usage,
                StatusCode::from_u16(status).unwrap(),
                b"{}",
            );
            assert_eq!(error, BackendError::Unauthorized(status));
        }
        let error = refusal(
            BackendCall::ModelList,
            StatusCode::BAD_GATEWAY,
            br#"{"detail":"upstream down"}"#,
        );
        assert_eq!(
            error.to_string(),
            "the request for the model list failed: the ChatGPT backend answered HTTP 502 Bad \
             Gateway (\"upstream down\"); try again in a few minutes"
        );
    }

    #[test]
    fn an_answer_is_read_up_to_the_calls_cap() {
        block_on(async {
            let http = FakeHttpClient::create(|_| async {
                Ok(Response::builder()
                    .status(200)
                    .body(vec![b'x'; 300 * 1024].into())
                    .unwrap())
            });
            let config = Config::default();
            let answer = BackendRequest::new(
                &config,
                &auth(),
                BackendCall::Usage,
                Method::GET,
                &config.usage_url(),
            )
            .send(http.as_ref())
            .await
            .unwrap();
            assert_eq!(answer.body.len() as u64, BackendCall::Usage.body_cap());
        });
    }
}
