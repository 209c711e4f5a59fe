//! Where the provider talks to, and who it says it is.
//!
//! Every URL is overridable (the host fills a [`Config`] from its settings): the embedded
//! emulator and the tests run on loopback. The defaults
//! are the real issuer and backend (see `shared/spec/codex-backend.md`).

use anyhow::{Context as _, Result};
use url::Url;

/// The real OAuth issuer.
pub const DEFAULT_ISSUER: &str = "https://auth.openai.com";
/// The real subscription backend (the Responses API and the model catalog live under it).
pub const DEFAULT_BACKEND: &str = "https://chatgpt.com/backend-api/codex";
/// The official route's issuer ("Sign in with ChatGPT", `shared/spec/siwc.md` §1.1); its
/// endpoints are read from its discovery document.
pub const DEFAULT_OFFICIAL_ISSUER: &str = "https://auth.openai.com";
/// The official route's API base (`/v1/models`, `/v1/responses`; siwc.md §3, §4).
pub const DEFAULT_OFFICIAL_API: &str = "https://api.openai.com/v1";
/// The Codex CLI's public OAuth client id; its redirect allow-list holds ports 1455 and 1457.
pub const CLIENT_ID: &str = "app_EMoamEEZ73f0CkXaXp7hrann";
/// Sent as the `originator` authorize parameter and request header.
pub(crate) const ORIGINATOR: &str = "openai_subscribed";
/// The client version sent to `GET /models`: `0.0.0`, the backend's *ungated* sentinel, which
/// answers the account's whole catalog without comparing it with each model's
/// `minimal_client_version` (as Zed sends; any other version may get a subset).
pub const CLIENT_VERSION: &str = "0.0.0";

/// Whether request bodies to the backend are compressed (how is `responses`' business: see
/// `responses::body_encoding`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RequestCompression {
    /// `Content-Encoding: zstd`, falling back to plain JSON if the server answers 415.
    #[default]
    Zstd,
    /// Plain JSON, never compressed.
    None,
}

impl std::str::FromStr for RequestCompression {
    type Err = anyhow::Error;

    fn from_str(value: &str) -> anyhow::Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "zstd" => Ok(Self::Zstd),
            "none" | "off" | "identity" => Ok(Self::None),
            other => anyhow::bail!("unknown request compression {other:?}: expected zstd or none"),
        }
    }
}

/// How `/responses` requests travel (see `responses::websocket`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Transport {
    /// A WebSocket per thread, each turn sending only its new items; HTTP when the backend
    /// refuses the upgrade.
    #[default]
    WebSocket,
    /// `POST /responses` with the whole thread every turn, answered with server-sent events.
    Http,
}

impl std::str::FromStr for Transport {
    type Err = anyhow::Error;

    fn from_str(value: &str) -> anyhow::Result<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "websocket" | "websockets" | "ws" => Ok(Self::WebSocket),
            "http" | "sse" => Ok(Self::Http),
            other => anyhow::bail!("unknown transport {other:?}: expected websocket or http"),
        }
    }
}

/// The issuer and backend endpoints plus the client's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The OAuth issuer, e.g. `https://auth.openai.com`.
    pub issuer: Url,
    /// The backend base, e.g. `https://chatgpt.com/backend-api/codex`.
    pub backend: Url,
    /// The OAuth client id.
    pub client_id: String,
    /// The `originator` value.
    pub originator: String,
    /// The `client_version` sent to the model catalog.
    pub client_version: String,
    /// How `POST /responses` bodies are sent: zstd by default (see [`RequestCompression`]).
    pub request_compression: RequestCompression,
    /// How `/responses` requests travel: a WebSocket by default (see [`Transport`]).
    pub transport: Transport,
    /// Where the official "Sign in with ChatGPT" route lives (see [`crate::route::Route`]).
    pub official: OfficialEndpoints,
    /// The usage shares past which a window is warned about (80 % and 95 % by default).
    pub usage_warnings: crate::usage::UsageWarningThresholds,
}

/// The official route's issuer and API base, overridable like the Codex route's (the emulator
/// serves both on loopback).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficialEndpoints {
    /// The issuer, e.g. `https://auth.openai.com`: its discovery document names the
    /// authorization, token and revocation endpoints and the JWKS.
    pub issuer: Url,
    /// The API base, e.g. `https://api.openai.com/v1`.
    pub api: Url,
}

impl Default for OfficialEndpoints {
    #[allow(
        clippy::expect_used,
        reason = "the default URLs are constants that parse (endpoints_keep_the_base_path)"
    )]
    fn default() -> Self {
        Self {
            issuer: Url::parse(DEFAULT_OFFICIAL_ISSUER).expect("valid default official issuer"),
            api: Url::parse(DEFAULT_OFFICIAL_API).expect("valid default official API base"),
        }
    }
}

impl Default for Config {
    #[allow(
        clippy::expect_used,
        reason = "the default URLs are constants that parse (endpoints_keep_the_base_path)"
    )]
    fn default() -> Self {
        Self {
            issuer: Url::parse(DEFAULT_ISSUER).expect("valid default issuer"),
            backend: Url::parse(DEFAULT_BACKEND).expect("valid default backend"),
            client_id: CLIENT_ID.to_string(),
            originator: ORIGINATOR.to_string(),
            client_version: CLIENT_VERSION.to_string(),
            request_compression: RequestCompression::default(),
            transport: Transport::default(),
            official: OfficialEndpoints::default(),
            usage_warnings: crate::usage::UsageWarningThresholds::default(),
        }
    }
}

impl Config {
    /// A config with the given issuer and backend base URLs (e.g. the emulator's).
    pub fn with_urls(issuer: &str, backend: &str) -> Result<Self> {
        Ok(Self {
            issuer: parse_base_url(issuer).context("invalid issuer URL")?,
            backend: parse_base_url(backend).context("invalid backend URL")?,
            ..Self::default()
        })
    }

    /// This config with the official route's issuer and API base replaced (e.g. by the
    /// emulator's).
    pub fn with_official_urls(self, issuer: &str, api: &str) -> Result<Self> {
        Ok(Self {
            official: OfficialEndpoints {
                issuer: parse_base_url(issuer)
                    .context("invalid Sign in with ChatGPT issuer URL")?,
                api: parse_base_url(api).context("invalid Sign in with ChatGPT API URL")?,
            },
            ..self
        })
    }

    /// `{issuer}/oauth/authorize`.
    pub fn authorize_url(&self) -> Url {
        join(&self.issuer, "oauth/authorize")
    }
    /// `{issuer}/oauth/token`: code exchange and refresh.
    pub fn token_url(&self) -> Url {
        join(&self.issuer, "oauth/token")
    }
    /// `{issuer}/oauth/revoke`.
    pub fn revoke_url(&self) -> Url {
        join(&self.issuer, "oauth/revoke")
    }
    /// `{issuer}/api/accounts/deviceauth/usercode`.
    pub fn device_usercode_url(&self) -> Url {
        join(&self.issuer, "api/accounts/deviceauth/usercode")
    }
    /// `{issuer}/api/accounts/deviceauth/token`.
    pub fn device_token_url(&self) -> Url {
        join(&self.issuer, "api/accounts/deviceauth/token")
    }
    /// `{issuer}/codex/device`: the page where the user types the device code.
    pub fn device_verification_url(&self) -> Url {
        join(&self.issuer, "codex/device")
    }
    /// `{issuer}/deviceauth/callback`: the redirect URI of a device-code exchange.
    pub fn device_redirect_uri(&self) -> Url {
        join(&self.issuer, "deviceauth/callback")
    }
    /// `{backend}/responses`.
    pub fn responses_url(&self) -> Url {
        join(&self.backend, "responses")
    }
    /// `{backend}/models?client_version=…`.
    pub fn models_url(&self) -> Url {
        let mut url = join(&self.backend, "models");
        url.query_pairs_mut()
            .append_pair("client_version", &self.client_version);
        url
    }
    /// `GET …/backend-api/wham/usage`: the plan's usage windows. It lives beside the Codex
    /// backend, not under it, so it is the backend URL's parent joined with `wham/usage`
    /// (`…/backend-api/codex` → `…/backend-api/wham/usage`): one backend URL serves both.
    pub fn usage_url(&self) -> Url {
        let mut parent = self.backend.clone();
        let path = self.backend.path().trim_end_matches('/');
        let parent_path = path.rsplit_once('/').map_or("", |(parent, _)| parent);
        parent.set_path(parent_path);
        join(&parent, "wham/usage")
    }
    /// `{official api}/models`: the official route's model list (siwc.md §3).
    pub fn official_models_url(&self) -> Url {
        join(&self.official.api, "models")
    }
    /// `{official api}/responses`: the official route's answers (siwc.md §4).
    pub fn official_responses_url(&self) -> Url {
        join(&self.official.api, "responses")
    }
    /// The `User-Agent` sent with every request: product, version and platform.
    pub fn user_agent(&self) -> String {
        format!(
            "{}/{} ({}; {})",
            self.originator,
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        )
    }
}

/// Parses a base URL, dropping any trailing slash so that paths join predictably.
///
/// Errors never quote the input: it may carry a user name and password (`https://u:p@host`).
fn parse_base_url(input: &str) -> Result<Url> {
    let url = Url::parse(input.trim_end_matches('/'))?;
    anyhow::ensure!(
        matches!(url.scheme(), "http" | "https"),
        "expected an http or https URL, got a {}: URL",
        url.scheme()
    );
    Ok(url)
}

/// Appends `path` to the base's path (unlike [`Url::join`], which would replace its last segment).
fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    let joined = format!("{}/{}", base.path().trim_end_matches('/'), path);
    url.set_path(&joined);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_keep_the_base_path() {
        let config = Config::default();
        assert_eq!(
            config.responses_url().as_str(),
            "https://chatgpt.com/backend-api/codex/responses"
        );
        assert_eq!(
            config.token_url().as_str(),
            "https://auth.openai.com/oauth/token"
        );
        let config =
            Config::with_urls("http://127.0.0.1:9/", "http://127.0.0.1:9/backend/").unwrap();
        assert_eq!(
            config.models_url().as_str(),
            format!("http://127.0.0.1:9/backend/models?client_version={CLIENT_VERSION}")
        );
    }

    #[test]
    fn the_usage_url_is_beside_the_backend_not_under_it() {
        assert_eq!(
            Config::default().usage_url().as_str(),
            "https://chatgpt.com/backend-api/wham/usage"
        );
        let config = Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/x/y/").unwrap();
        assert_eq!(
            config.usage_url().as_str(),
            "http://127.0.0.1:9/x/wham/usage"
        );
        let config = Config::with_urls("http://127.0.0.1:9", "http://127.0.0.1:9/codex").unwrap();
        assert_eq!(config.usage_url().as_str(), "http://127.0.0.1:9/wham/usage");
    }

    #[test]
    fn parses_the_configured_compression() {
        assert_eq!(
            "zstd".parse::<RequestCompression>().unwrap(),
            RequestCompression::Zstd
        );
        assert_eq!(
            " None ".parse::<RequestCompression>().unwrap(),
            RequestCompression::None
        );
        assert_eq!(
            "off".parse::<RequestCompression>().unwrap(),
            RequestCompression::None
        );
        let error = "gzip"
            .parse::<RequestCompression>()
            .unwrap_err()
            .to_string();
        assert!(error.contains("expected zstd or none"), "{error}");
    }

    #[test]
    fn rejects_non_http_urls() {
        assert!(Config::with_urls("file:///etc", DEFAULT_BACKEND).is_err());
    }
}
