//! The official "Sign in with ChatGPT" route (siwc.md; issue 25), served on its **own**
//! loopback listener beside the Codex route's, so that its "403 for any other route" (§4, §9.1)
//! never touches the Codex issuer and backend.
//!
//! One listener plays both official hosts: the issuer (`auth.openai.com`) at its root and the
//! API (`api.openai.com/v1`) under `/v1`. [`Emulator::siwc_issuer_url`] and
//! [`Emulator::siwc_api_url`] name them.
//!
//! | Route | Module |
//! |---|---|
//! | `GET /.well-known/openid-configuration`, `GET /.well-known/jwks.json` | [`discovery`], [`jwks`] (the RS256 key) |
//! | `GET`/`POST /api/accounts/authorize` | [`authorize`], [`consent_page`] |
//! | `POST /api/accounts/oauth/token` | [`token`] (code exchange, refresh, rotation, the tokens) |
//! | `POST /api/accounts/oauth/revoke` | [`revoke`] |
//! | `GET /v1/models` | [`admission`] (the bearer), [`models`] |
//! | `POST /v1/responses` | [`admission`], [`responses`] (the preview rules, the SSE answer) |
//! | anything else | 403 `subscription_sharing_route_not_supported` |
//!
//! Every request is recorded ([`Emulator::siwc_requests`]) and every answer carries
//! `x-request-id: req_fake_<n>` (§9.4). Faults: [`faults`]; what the emulator remembers:
//! [`state`].
//!
//! ```no_run
//! use emulator::{Emulator, SiwcConsent, SiwcFault};
//!
//! let emulator = Emulator::start()?;
//! let (issuer, api) = (emulator.siwc_issuer_url(), emulator.siwc_api_url());
//! let tokens = emulator.siwc_mint_tokens(3600); // an issued client id and live tokens
//! emulator.set_siwc_consent(SiwcConsent::IdentityOnly);
//! emulator.inject_siwc(SiwcFault::TokenUnavailable);
//! # anyhow::Ok(())
//! ```

pub mod admission;
pub mod authorize;
pub mod consent_page;
pub mod discovery;
pub mod faults;
pub mod jwks;
pub mod models;
pub mod responses;
pub mod revoke;
pub mod state;
pub mod token;

use crate::Emulator;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use faults::SiwcFault;
use state::{
    Grant, SUBJECT, SiwcConsent, SiwcMintedTokens, SiwcRecordedRequest, SiwcState, SiwcStats,
};
use std::sync::Arc;

/// The largest request body the official route reads (a long thread sent whole).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Every route of the official listener.
pub fn router(state: Arc<SiwcState>) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route("/.well-known/jwks.json", get(discovery::jwks))
        .route(
            "/api/accounts/authorize",
            get(authorize::authorize).post(authorize::decide),
        )
        .route("/api/accounts/oauth/token", post(token::token))
        .route("/api/accounts/oauth/revoke", post(revoke::revoke))
        .route("/v1/models", get(models::list_models))
        .route(
            "/v1/responses",
            post(responses::create_response).layer(axum::extract::DefaultBodyLimit::max(MAX_BODY)),
        )
        .fallback(route_not_supported)
        .method_not_allowed_fallback(route_not_supported)
        .layer(middleware::from_fn_with_state(state.clone(), record))
        .with_state(state)
}

/// Serves the official route on `listener` until the future is dropped.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<SiwcState>) {
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        stream.set_nodelay(true).ok();
    });
    if let Err(error) = axum::serve(listener, router(state)).await {
        log::error!("emulator: the official route's server stopped: {error}");
    }
}

/// Records the request and stamps the answer with its `x-request-id`.
async fn record(State(state): State<Arc<SiwcState>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY)
        .await
        .unwrap_or_default();
    let query = parts
        .uri
        .query()
        .and_then(|query| serde_urlencoded::from_str(query).ok())
        .unwrap_or_default();
    let request_id = state.record(SiwcRecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query,
        headers: parts.headers.clone(),
        body: body.clone(),
    });
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

/// 403 `subscription_sharing_route_not_supported` (§4, §5.3): any other method or path.
async fn route_not_supported(State(state): State<Arc<SiwcState>>) -> Response {
    state.count(|stats| &mut stats.unsupported_route_requests);
    crate::errors::api_error(
        StatusCode::FORBIDDEN,
        "invalid_request_error",
        Some("subscription_sharing_route_not_supported"),
        None,
        "This route is not supported for ChatGPT subscription sharing.",
    )
}

impl Emulator {
    /// Base URL of the official route's issuer, e.g. `http://127.0.0.1:PORT` (discovery at
    /// `/.well-known/openid-configuration`, endpoints under `/api/accounts/`).
    pub fn siwc_issuer_url(&self) -> String {
        self.siwc.issuer_url.clone()
    }

    /// Base URL of the official route's API, e.g. `http://127.0.0.1:PORT/v1`.
    pub fn siwc_api_url(&self) -> String {
        self.siwc.api_url()
    }

    /// Queues a one-shot fault for the next official-route request it applies to (see
    /// [`faults`] for which request that is).
    pub fn inject_siwc(&self, fault: SiwcFault) {
        self.siwc.inject(fault, faults::Persistence::OneShot);
    }

    /// Adds a standing fault: it applies to every official-route request it applies to (after
    /// any one-shot fault for that request) until [`Emulator::clear_siwc_faults`].
    pub fn inject_siwc_standing(&self, fault: SiwcFault) {
        self.siwc.inject(fault, faults::Persistence::Standing);
    }

    /// Drops every official-route fault, one-shot and standing.
    pub fn clear_siwc_faults(&self) {
        self.siwc.clear_faults();
    }

    /// What the official authorize endpoint does from now on (default
    /// [`SiwcConsent::Approve`]).
    pub fn set_siwc_consent(&self, consent: SiwcConsent) {
        self.siwc.set_consent(consent);
    }

    /// Every request the official route received, oldest first.
    pub fn siwc_requests(&self) -> Vec<SiwcRecordedRequest> {
        self.siwc.requests()
    }

    /// Live official-route tokens without a browser trip: a newly issued client id, an access
    /// token with the plan scope, a refresh token and an ID token signed by the emulator's key
    /// (no `nonce`). A negative `expires_in_secs` mints an already-expired access token.
    pub fn siwc_mint_tokens(&self, expires_in_secs: i64) -> SiwcMintedTokens {
        let client_id = self.siwc.register_without_host();
        let tokens = token::issue(
            &self.siwc,
            &token::Issuance {
                client_id: &client_id,
                grant: Grant::Plan,
                family: self.siwc.new_family(),
                nonce: None,
                lifetime_secs: expires_in_secs,
            },
            token::Defects::Ignore,
        );
        SiwcMintedTokens {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token.unwrap_or_default(),
            id_token: tokens.id_token,
            client_id,
            sub: SUBJECT.to_string(),
        }
    }

    /// Makes every live official-route access token invalid (401 on the API); refresh tokens
    /// stay usable.
    pub fn siwc_revoke_access_tokens(&self) {
        self.siwc.revoke_access_tokens();
    }

    /// Serves `catalog` (a `{"models": […]}` document) as the official `/v1/models` answer from
    /// now on, instead of the default one (§9.2).
    pub fn siwc_serve_catalog(&self, catalog: serde_json::Value) {
        self.siwc.set_catalog(catalog);
    }

    /// The official route's counters and registrations.
    pub fn siwc_stats(&self) -> SiwcStats {
        self.siwc.stats()
    }
}
