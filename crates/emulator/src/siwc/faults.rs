//! Faults of the official route (siwc.md §9.1 knobs, §9.4): one-shot misbehaviours a test
//! queues with [`Emulator::inject_siwc`](crate::Emulator::inject_siwc).
//!
//! Faults wait in a FIFO queue; each request takes the first queued fault that applies to it
//! (see [`FaultSite`]), so a test can queue a token error and an API error at once. A standing
//! fault ([`Emulator::inject_siwc_standing`](crate::Emulator::inject_siwc_standing)) applies to
//! every such request, after the queued ones, until
//! [`Emulator::clear_siwc_faults`](crate::Emulator::clear_siwc_faults). Which
//! request consumes which fault:
//! - `GET /api/accounts/authorize`, when it answers the client (a redirect): the authorize knobs.
//! - `POST /api/accounts/oauth/token`, as it arrives (any grant): [`SiwcFault::TokenError`],
//!   [`SiwcFault::TokenUnavailable`], [`SiwcFault::TokenDelay`].
//! - the next refresh grant: [`SiwcFault::TokenAnswerLostAfterRotation`],
//!   [`SiwcFault::RefreshWithoutScopeOrIdToken`].
//! - the next token answer that carries an ID token: the `IdToken…` defects.
//! - `GET /.well-known/jwks.json`: [`SiwcFault::JwksUnavailable`], [`SiwcFault::JwksEmpty`].
//! - `POST /api/accounts/oauth/revoke`: [`SiwcFault::RevokeUnavailable`].
//! - `POST /v1/responses`, as it arrives (before any check): the admission and structured
//!   errors ([`SiwcFault::InvalidUser`] … [`SiwcFault::InvalidAuthorizationContext`]); once it
//!   has passed every
//!   check and the stream starts: [`SiwcFault::LimitMidStream`], [`SiwcFault::Incomplete`],
//!   [`SiwcFault::Cut`], [`SiwcFault::OmitContentType`].
//! - `GET /v1/models`: an arrival fault wrapped in [`SiwcFault::OnModels`].

use std::collections::VecDeque;
use std::time::Duration;

/// A one-shot fault of the official route, consumed by the next request it applies to.
#[derive(Clone, Debug, PartialEq)]
pub enum SiwcFault {
    // --- authorize (siwc.md §1.4, §9.1 knobs) ---
    /// The redirect carries a `state` other than the one the client sent.
    WrongState,
    /// The redirect carries `state` twice.
    DuplicateState,
    /// A first registration's redirect omits the issued `client_id` ("registration
    /// incomplete", §1.4).
    OmitClientIdOnFirstSignIn,
    /// A re-authorization's redirect carries the (same) issued `client_id`, which the real
    /// issuer may or may not send (§1.4).
    ClientIdOnReauthorization,
    /// A re-authorization's redirect carries a *different* issued `client_id`, which the client
    /// must reject (§1.4).
    DifferentClientIdOnReauthorization,

    // --- token endpoint (§1.5, §1.8) ---
    /// The next token request answers `status` with `{"error": code, "error_description"}`,
    /// e.g. 400 `invalid_grant`, `refresh_token_reused`, `invalid_client`.
    TokenError {
        /// The HTTP status.
        status: u16,
        /// The OAuth `error` code.
        code: String,
    },
    /// The next token request answers 503 `temporarily_unavailable`.
    TokenUnavailable,
    /// The next token request is answered after this delay.
    TokenDelay(Duration),
    /// The next refresh rotates the refresh token, then drops the connection before the client
    /// reads the new one.
    TokenAnswerLostAfterRotation,
    /// The next refresh answer omits `scope` and `id_token` (§1.8: both are optional).
    RefreshWithoutScopeOrIdToken,

    // --- ID token defects (§1.6), on the next token answer carrying an ID token ---
    /// The signature does not verify.
    IdTokenBadSignature,
    /// `iss` is not the issuer.
    IdTokenWrongIssuer,
    /// `aud` is not the issued client id.
    IdTokenWrongAudience,
    /// `nonce` is not the attempt's.
    IdTokenWrongNonce,
    /// `exp` has passed (an hour ago).
    IdTokenExpired,
    /// `iat` is an hour in the future.
    IdTokenFutureIat,
    /// `sub` is another user's.
    IdTokenDifferentSub,
    /// The next JWKS request answers 503.
    JwksUnavailable,
    /// The next JWKS request answers an empty key set.
    JwksEmpty,

    // --- revocation (§1.9) ---
    /// The next revocation answers 503 (and revokes nothing).
    RevokeUnavailable,

    // --- API (§5, §9.4) ---
    /// 401 `subscription_sharing_invalid_user`.
    InvalidUser,
    /// 403 `subscription_sharing_user_not_eligible`.
    NotEligible,
    /// 403 `chatpass_v2_scope_not_authorized`.
    ScopeNotAuthorized,
    /// 403 `{"detail": …}`: not available in the user's region.
    Region,
    /// 429 `subscription_sharing_usage_limit_exceeded` before the stream opens.
    LimitBeforeStream,
    /// 200, some deltas, then an `error` event and `response.failed` with
    /// `subscription_sharing_usage_limit_exceeded`.
    LimitMidStream,
    /// 503 `subscription_sharing_usage_unavailable`.
    UsageUnavailable,
    /// 503 `subscription_sharing_user_unavailable`.
    UserUnavailable,
    /// 503 `{"detail": …}`: direct routing unavailable or not enabled.
    RoutingOff,
    /// 400 `subscription_sharing_unsupported_capability` with `param: "model"` (a model the
    /// preview does not serve), whatever the request.
    UnsupportedCapability,
    /// 403 `subscription_sharing_route_not_supported`, whatever the request.
    RouteNotSupported,
    /// 403 `chatpass_v2_invalid_authorization_context`.
    InvalidAuthorizationContext,
    /// The stream ends with `response.incomplete`.
    Incomplete,
    /// The stream closes after a few deltas, before any terminal event.
    Cut,
    /// The stream is valid SSE without a `Content-Type` header (§4: the direct route may do so).
    OmitContentType,
    /// The wrapped arrival fault (one of `InvalidUser` … `RoutingOff`) for the next
    /// `GET /v1/models` instead of `POST /v1/responses`.
    OnModels(Box<SiwcFault>),
}

/// Which request a fault applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultSite {
    /// The authorize endpoint's redirect.
    Authorize,
    /// A token request, as it arrives.
    TokenArrival,
    /// A refresh grant.
    Refresh,
    /// A token answer carrying an ID token.
    IdToken,
    /// The JWKS.
    Jwks,
    /// The revocation endpoint.
    Revoke,
    /// `POST /v1/responses` as it arrives.
    ResponsesArrival,
    /// `POST /v1/responses` as its stream starts.
    ResponsesStream,
    /// `GET /v1/models` as it arrives.
    Models,
}

impl SiwcFault {
    /// The request this fault applies to.
    pub fn site(&self) -> FaultSite {
        use SiwcFault::*;
        match self {
            WrongState
            | DuplicateState
            | OmitClientIdOnFirstSignIn
            | ClientIdOnReauthorization
            | DifferentClientIdOnReauthorization => FaultSite::Authorize,
            TokenError { .. } | TokenUnavailable | TokenDelay(_) => FaultSite::TokenArrival,
            TokenAnswerLostAfterRotation | RefreshWithoutScopeOrIdToken => FaultSite::Refresh,
            IdTokenBadSignature | IdTokenWrongIssuer | IdTokenWrongAudience | IdTokenWrongNonce
            | IdTokenExpired | IdTokenFutureIat | IdTokenDifferentSub => FaultSite::IdToken,
            JwksUnavailable | JwksEmpty => FaultSite::Jwks,
            RevokeUnavailable => FaultSite::Revoke,
            InvalidUser
            | NotEligible
            | ScopeNotAuthorized
            | Region
            | LimitBeforeStream
            | UsageUnavailable
            | UserUnavailable
            | RoutingOff
            | UnsupportedCapability
            | RouteNotSupported
            | InvalidAuthorizationContext => FaultSite::ResponsesArrival,
            LimitMidStream | Incomplete | Cut | OmitContentType => FaultSite::ResponsesStream,
            OnModels(_) => FaultSite::Models,
        }
    }
}

/// How long a fault lasts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Persistence {
    /// Consumed by the next request it applies to.
    OneShot,
    /// Applies to every such request until the faults are cleared.
    Standing,
}

/// The faults waiting for their request: one-shot ones in a queue, standing ones beside it.
#[derive(Debug, Default)]
pub struct SiwcFaultQueue {
    queued: VecDeque<SiwcFault>,
    standing: Vec<SiwcFault>,
}

impl SiwcFaultQueue {
    /// Adds a fault: a one-shot one behind the others, or a standing one.
    pub fn push(&mut self, fault: SiwcFault, persistence: Persistence) {
        match persistence {
            Persistence::OneShot => self.queued.push_back(fault),
            Persistence::Standing => self.standing.push(fault),
        }
    }

    /// Drops every fault, one-shot and standing.
    pub fn clear(&mut self) {
        self.queued.clear();
        self.standing.clear();
    }

    /// The first one-shot fault for `site` that `applies` accepts (removed), else the first
    /// such standing fault (kept).
    pub fn take(
        &mut self,
        site: FaultSite,
        applies: impl Fn(&SiwcFault) -> bool,
    ) -> Option<SiwcFault> {
        let matches = |fault: &SiwcFault| fault.site() == site && applies(fault);
        match self.queued.iter().position(matches) {
            Some(index) => self.queued.remove(index),
            None => self.standing.iter().find(|fault| matches(fault)).cloned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_takes_the_first_fault_for_its_site() {
        let mut queue = SiwcFaultQueue::default();
        for fault in [
            SiwcFault::Cut,
            SiwcFault::TokenUnavailable,
            SiwcFault::OnModels(Box::new(SiwcFault::Region)),
            SiwcFault::Region,
        ] {
            queue.push(fault, Persistence::OneShot);
        }
        assert_eq!(
            queue.take(FaultSite::ResponsesArrival, |_| true),
            Some(SiwcFault::Region)
        );
        assert_eq!(
            queue.take(FaultSite::Models, |_| true),
            Some(SiwcFault::OnModels(Box::new(SiwcFault::Region)))
        );
        assert_eq!(queue.take(FaultSite::ResponsesArrival, |_| true), None);
        assert_eq!(
            queue.take(FaultSite::TokenArrival, |_| true),
            Some(SiwcFault::TokenUnavailable)
        );
    }

    #[test]
    fn a_standing_fault_stays_and_one_shot_faults_go_first() {
        let mut queue = SiwcFaultQueue::default();
        queue.push(SiwcFault::RoutingOff, Persistence::Standing);
        queue.push(SiwcFault::Region, Persistence::OneShot);
        let site = FaultSite::ResponsesArrival;
        assert_eq!(queue.take(site, |_| true), Some(SiwcFault::Region));
        assert_eq!(queue.take(site, |_| true), Some(SiwcFault::RoutingOff));
        assert_eq!(queue.take(site, |_| true), Some(SiwcFault::RoutingOff));
        queue.clear();
        assert_eq!(queue.take(site, |_| true), None);
    }
}
