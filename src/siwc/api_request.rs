//! One request to the official API (`{api}/models`, `{api}/responses`), the same way for both
//! calls: the one helper the official route's API traffic goes through.
//!
//! What it sends is what the docs name (`shared/spec/siwc.md` §4): `Authorization: Bearer`,
//! `Accept` (`application/json`, or `text/event-stream` for an answer), `Content-Type:
//! application/json` with a body, and the client's `User-Agent`. Nothing of the Codex route
//! (`ChatGPT-Account-Id`, `originator`, `OpenAI-Beta`, `session-id`…) and no `Content-Encoding`
//! (the preview does not say it takes zstd bodies): [`OfficialCall`] has no way to add them.
//! The answer's `x-request-id` is kept for the error a user can copy.

use crate::config::Config;
use crate::secret::AccessToken;
use futures::{AsyncRead, AsyncReadExt as _};
use http_client::{AsyncBody, HttpClient, Method, Response, http};

/// Which official API call a request is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfficialCall {
    /// `GET {api}/models`.
    ModelList,
    /// `POST {api}/responses`.
    Answer,
}

impl OfficialCall {
    /// The most of a body this crate reads: 8 MiB of catalog, 64 KiB of a refused answer (an
    /// accepted one is streamed).
    pub fn body_cap(self) -> u64 {
        match self {
            Self::ModelList => 8 * 1024 * 1024,
            Self::Answer => 64 * 1024,
        }
    }

    fn method(self) -> Method {
        match self {
            Self::ModelList => Method::GET,
            Self::Answer => Method::POST,
        }
    }

    fn url(self, config: &Config) -> url::Url {
        match self {
            Self::ModelList => config.official_models_url(),
            Self::Answer => config.official_responses_url(),
        }
    }

    fn accept(self) -> &'static str {
        match self {
            Self::ModelList => "application/json",
            Self::Answer => "text/event-stream",
        }
    }
}

/// The request head of `call` with `token` (and a JSON body for an answer).
pub fn official_request(
    config: &Config,
    token: &AccessToken,
    call: OfficialCall,
    body: Option<Vec<u8>>,
) -> anyhow::Result<http::Request<AsyncBody>> {
    let mut builder = http::Request::builder()
        .method(call.method())
        .uri(call.url(config).as_str())
        .header("Authorization", format!("Bearer {}", token.secret()))
        .header("Accept", call.accept())
        .header("User-Agent", config.user_agent());
    let body = match body {
        Some(body) => {
            builder = builder.header("Content-Type", "application/json");
            AsyncBody::from(body)
        }
        None => AsyncBody::empty(),
    };
    // Never quotes the request: it holds the token.
    builder
        .body(body)
        .map_err(|_| anyhow::anyhow!("could not build the request to the Sign in with ChatGPT API"))
}

/// Sends `call` once and returns the answer, whatever its status.
pub async fn send_official(
    http: &dyn HttpClient,
    config: &Config,
    token: &AccessToken,
    call: OfficialCall,
    body: Option<Vec<u8>>,
) -> anyhow::Result<Response<AsyncBody>> {
    let request = official_request(config, token, call, body)?;
    http.send(request).await
}

/// The answer's `x-request-id`, if it sent a readable one.
pub fn request_id(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .map(|id| crate::printable::one_line(id, 100))
}

/// Reads `body` up to `call`'s cap.
pub async fn read_capped(
    body: impl AsyncRead + Unpin,
    call: OfficialCall,
) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    body.take(call.body_cap()).read_to_end(&mut bytes).await?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carries_only_the_documented_headers() {
        let config = Config::default();
        let request = official_request(
            &config,
            &AccessToken::new("tok"),
            OfficialCall::Answer,
            Some(b"{}".to_vec()),
        )
        .unwrap();
        assert_eq!(
            request.uri().to_string(),
            "https://api.openai.com/v1/responses"
        );
        let mut names: Vec<_> = request.headers().keys().map(|name| name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["accept", "authorization", "content-type", "user-agent"]
        );
    }
}
