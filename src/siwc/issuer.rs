//! [`OfficialIssuer`]: the one home of the requests to the official issuer — discovery, JWKS,
//! the token endpoint (code exchange and refresh) and revocation (siwc.md §1).
//!
//! POSTs go through the issuer transport every issuer call shares (`oauth::issuer_request`:
//! headers, body cap, no URL in errors); the two GETs here send the same headers and caps. The
//! discovery document is fetched once and kept for the issuer handle's lifetime (the state that
//! owns it lives as long as the process); the JWKS is fetched for each verification, which
//! happens once per sign-in or refresh.

use super::discovery::Discovery;
use super::error::SiwcError;
use crate::config::Config;
use crate::oauth::issuer_request::{IssuerAnswer, MAX_BODY_BYTES, RequestBody, Unreachable, send};
use futures::AsyncReadExt as _;
use http_client::http::{self, header};
use http_client::{AsyncBody, HttpClient};
use jsonwebtoken::jwk::JwkSet;
use parking_lot::Mutex;
use std::sync::Arc;
use url::Url;

/// The official issuer, as the configuration names it.
#[derive(Clone)]
pub struct OfficialIssuer {
    config: Config,
    http: Arc<dyn HttpClient>,
    discovery: Arc<Mutex<Option<Arc<Discovery>>>>,
}

impl std::fmt::Debug for OfficialIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfficialIssuer")
            .field("issuer", &self.config.official.issuer.as_str())
            .finish_non_exhaustive()
    }
}

impl OfficialIssuer {
    /// The issuer of `config.official`.
    pub fn new(config: Config, http: Arc<dyn HttpClient>) -> Self {
        Self {
            config,
            http,
            discovery: Arc::default(),
        }
    }

    /// The configuration (its `official` endpoints).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The API audience sent as `resource` (§1.1, §1.3, §1.5, §1.8). It names the audience,
    /// not where requests go: it stays [`super::RESOURCE`] whatever API base is configured.
    pub fn resource(&self) -> String {
        super::RESOURCE.to_string()
    }

    /// The discovery document, fetched on first use and kept.
    pub async fn discovery(&self) -> Result<Arc<Discovery>, SiwcError> {
        if let Some(discovery) = self.discovery.lock().clone() {
            return Ok(discovery);
        }
        let mut url = self.config.official.issuer.clone();
        let path = format!(
            "{}/.well-known/openid-configuration",
            url.path().trim_end_matches('/')
        );
        url.set_path(&path);
        let answer = self
            .get(&url)
            .await
            .map_err(|unreachable| SiwcError::Discovery(unreachable.reason))?;
        if !answer.is_success() {
            return Err(SiwcError::Discovery(format!(
                "it answered HTTP {}",
                answer.status.as_u16()
            )));
        }
        let discovery = Arc::new(Discovery::parse(
            &answer.body,
            &self.config.official.issuer,
        )?);
        *self.discovery.lock() = Some(discovery.clone());
        Ok(discovery)
    }

    /// The issuer's signing keys, fresh.
    pub async fn jwks(&self) -> Result<JwkSet, SiwcError> {
        let discovery = self.discovery().await?;
        let answer = self
            .get(&discovery.jwks_uri)
            .await
            .map_err(|unreachable| SiwcError::Keys(unreachable.reason))?;
        if !answer.is_success() {
            return Err(SiwcError::Keys(format!(
                "the server answered HTTP {}",
                answer.status.as_u16()
            )));
        }
        let keys: JwkSet = serde_json::from_slice(&answer.body)
            .map_err(|_| SiwcError::Keys("the key set could not be read".into()))?;
        if keys.keys.is_empty() {
            return Err(SiwcError::Keys("the key set is empty".into()));
        }
        Ok(keys)
    }

    /// POSTs a form to the token endpoint (code exchange, refresh). Unbounded: the caller
    /// bounds it.
    pub(crate) async fn token_request(
        &self,
        pairs: &[(&str, &str)],
    ) -> Result<IssuerAnswer, TokenRequestFailure> {
        let discovery = self
            .discovery()
            .await
            .map_err(TokenRequestFailure::Discovery)?;
        send(
            &*self.http,
            &self.config,
            &discovery.token_endpoint,
            RequestBody::form(pairs),
        )
        .await
        .map_err(TokenRequestFailure::Unreachable)
    }

    /// POSTs a form to the revocation endpoint. `Ok(None)` when the issuer publishes none.
    pub(crate) async fn revocation_request(
        &self,
        pairs: &[(&str, &str)],
    ) -> Result<Option<IssuerAnswer>, String> {
        let discovery = self.discovery().await.map_err(|error| error.to_string())?;
        let Some(endpoint) = &discovery.revocation_endpoint else {
            return Ok(None);
        };
        send(
            &*self.http,
            &self.config,
            endpoint,
            RequestBody::form(pairs),
        )
        .await
        .map(Some)
        .map_err(|unreachable| unreachable.reason)
    }

    async fn get(&self, url: &Url) -> Result<IssuerAnswer, Unreachable> {
        let unreachable = |reason: String| Unreachable {
            url: without_query(url),
            reason: crate::printable::one_line(&reason, 300),
        };
        let request = http::Request::get(url.as_str())
            .header(header::ACCEPT, "application/json")
            .header(header::USER_AGENT, self.config.user_agent())
            .body(AsyncBody::empty())
            .map_err(|error| unreachable(error.to_string()))?;
        let exchange = async {
            let response = self.http.send(request).await?;
            let status = response.status();
            let mut body = Vec::new();
            response
                .into_body()
                .take(MAX_BODY_BYTES)
                .read_to_end(&mut body)
                .await?;
            anyhow::Ok(IssuerAnswer { status, body })
        };
        exchange
            .await
            .map_err(|error| unreachable(format!("{error:#}")))
    }
}

/// Why a token-endpoint request got no answer to read.
#[derive(Clone, Debug)]
pub(crate) enum TokenRequestFailure {
    /// The discovery document could not be had.
    Discovery(SiwcError),
    /// The request got no answer.
    Unreachable(Unreachable),
}

fn without_query(url: &Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}
