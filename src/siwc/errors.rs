//! [`OfficialApiError`]: every documented refusal of the official API (`shared/spec/siwc.md` §5)
//! in words a user can act on, with the documented action ([`NextStep`]) and the request id
//! (`x-request-id`) kept for diagnostics.
//!
//! Where the refusal arrives does not matter: the status and body of a refused request
//! ([`OfficialApiError::from_http`]), or a `response.failed` / `error` event after text has
//! streamed ([`OfficialApiError::from_code`], called by the one event mapper both routes share).
//! The rules the docs give (§5):
//! - plan errors stop inference, and nothing is billed elsewhere: no retry where the docs say
//!   none (not eligible, scope not authorized, region/policy, a usage limit);
//! - a usage limit links to "Manage usage" (<https://chatgpt.com/settings/usage>) and never
//!   guesses a reset time (the official route sends none);
//! - plan use not enabled says how to turn it on; not eligible offers the Codex route;
//! - unavailable (503) keeps the sign-in and leaves a bounded backoff to the host.

use language_model::{LanguageModelCompletionError, LanguageModelProviderName};
use std::fmt;

/// Where the user manages the plan's usage for apps (siwc.md §4, §6).
pub const MANAGE_USAGE_URL: &str = "https://chatgpt.com/settings/usage";

/// What the refusal means, from its documented code (or, for an admission refusal with a
/// `{"detail":…}` body, its status).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OfficialRefusal {
    /// `subscription_sharing_user_not_eligible` (403): the plan, workspace or policy does not
    /// allow plan use in apps.
    NotEligible,
    /// `subscription_sharing_usage_limit_exceeded` (429, or a `response.failed` mid-stream).
    UsageLimitReached,
    /// `subscription_sharing_usage_unavailable` (503).
    UsageUnavailable,
    /// `subscription_sharing_unsupported_capability` (400): a part of the request the preview
    /// does not take (`param` names it).
    UnsupportedCapability,
    /// `subscription_sharing_route_not_supported` (403): wrong method or endpoint.
    RouteNotSupported,
    /// `subscription_sharing_invalid_user` (401).
    InvalidUser,
    /// `chatpass_v2_scope_not_authorized` / `chatpass_v2_invalid_authorization_context` (403):
    /// the sign-in was not granted plan use.
    ScopeNotAuthorized,
    /// `subscription_sharing_user_unavailable` (503).
    UserUnavailable,
    /// 401 without a code: the signed identity or permission was not accepted.
    AdmissionUnauthorized,
    /// 403 without a code: a policy or permission restriction, e.g. the serving region.
    Restricted,
    /// 503 without a code: direct routing is unavailable or not enabled.
    RoutingUnavailable,
}

/// What the user (and the provider) should do about a refusal, as the docs say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NextStep {
    /// Nothing to retry: the request would be refused again.
    NoRetry,
    /// Open "Manage usage"; no retry, no reset time.
    ManageUsage,
    /// Sign in again and allow plan use on the consent page.
    EnablePlanUse,
    /// The plan cannot use this route: offer the Codex route.
    UseCodexRoute,
    /// Keep the sign-in; try again later (bounded backoff).
    RetryLater,
    /// Refresh the sign-in once; if it is still refused, sign in again.
    RefreshThenSignIn,
}

impl OfficialRefusal {
    /// The refusal a documented code stands for.
    pub fn from_code(code: &str) -> Option<Self> {
        Some(match code {
            "subscription_sharing_user_not_eligible" => Self::NotEligible,
            "subscription_sharing_usage_limit_exceeded" => Self::UsageLimitReached,
            "subscription_sharing_usage_unavailable" => Self::UsageUnavailable,
            "subscription_sharing_unsupported_capability" => Self::UnsupportedCapability,
            "subscription_sharing_route_not_supported" => Self::RouteNotSupported,
            "subscription_sharing_invalid_user" => Self::InvalidUser,
            "chatpass_v2_scope_not_authorized" | "chatpass_v2_invalid_authorization_context" => {
                Self::ScopeNotAuthorized
            }
            "subscription_sharing_user_unavailable" => Self::UserUnavailable,
            _ => return None,
        })
    }

    /// The code sent to the host with the error.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotEligible => "subscription_sharing_user_not_eligible",
            Self::UsageLimitReached => "subscription_sharing_usage_limit_exceeded",
            Self::UsageUnavailable => "subscription_sharing_usage_unavailable",
            Self::UnsupportedCapability => "subscription_sharing_unsupported_capability",
            Self::RouteNotSupported => "subscription_sharing_route_not_supported",
            Self::InvalidUser => "subscription_sharing_invalid_user",
            Self::ScopeNotAuthorized => "chatpass_v2_scope_not_authorized",
            Self::UserUnavailable => "subscription_sharing_user_unavailable",
            Self::AdmissionUnauthorized => "unauthorized",
            Self::Restricted => "forbidden",
            Self::RoutingUnavailable => "routing_unavailable",
        }
    }

    /// The documented action.
    pub fn next_step(self) -> NextStep {
        match self {
            Self::NotEligible => NextStep::UseCodexRoute,
            Self::UsageLimitReached => NextStep::ManageUsage,
            Self::ScopeNotAuthorized => NextStep::EnablePlanUse,
            Self::UsageUnavailable | Self::UserUnavailable | Self::RoutingUnavailable => {
                NextStep::RetryLater
            }
            Self::AdmissionUnauthorized => NextStep::RefreshThenSignIn,
            Self::UnsupportedCapability
            | Self::RouteNotSupported
            | Self::InvalidUser
            | Self::Restricted => NextStep::NoRetry,
        }
    }
}

/// A refusal of the official API, ready to show. Holds no token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OfficialApiError {
    /// What it means.
    pub refusal: OfficialRefusal,
    /// The HTTP status (`None` for a refusal that arrived mid-stream).
    pub status: Option<u16>,
    /// The answer's `x-request-id`, for a support request.
    pub request_id: Option<String>,
    /// `error.param`: the part of the request refused (unsupported capability).
    pub param: Option<String>,
}

/// The JSON error shapes of the official API: `{"error":{code,message,param,type}}`,
/// `{"detail":…}`, or a top-level `code` (siwc.md §4, §5).
#[derive(serde::Deserialize, Default)]
struct ErrorBody {
    #[serde(default)]
    error: Option<ErrorDetail>,
    #[serde(default)]
    code: Option<String>,
}

#[derive(serde::Deserialize, Default)]
struct ErrorDetail {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    param: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

impl OfficialApiError {
    /// The refusal a failure `status` with `body` stands for; `None` when it is none of the
    /// documented ones (the caller words it as any HTTP failure).
    pub fn from_http(status: u16, body: &[u8], request_id: Option<String>) -> Option<Self> {
        let parsed: ErrorBody = serde_json::from_slice(body).unwrap_or_default();
        let detail = parsed.error.unwrap_or_default();
        let code = detail.code.as_deref().or(parsed.code.as_deref());
        let refusal = match code.and_then(OfficialRefusal::from_code) {
            Some(refusal) => refusal,
            // One client saw the limit's text without its code (siwc.md §5.3).
            None if status == 429 && mentions_usage_limit(detail.message.as_deref(), body) => {
                OfficialRefusal::UsageLimitReached
            }
            None => match status {
                401 => OfficialRefusal::AdmissionUnauthorized,
                403 => OfficialRefusal::Restricted,
                503 => OfficialRefusal::RoutingUnavailable,
                _ => return None,
            },
        };
        Some(Self {
            refusal,
            status: Some(status),
            request_id: request_id.map(|id| crate::printable::one_line(&id, 100)),
            param: detail
                .param
                .map(|param| crate::printable::one_line(&param, 80)),
        })
    }

    /// The refusal a `response.failed` or `error` event's code stands for, if documented.
    pub fn from_code(code: Option<&str>, message: Option<&str>) -> Option<Self> {
        let refusal = match code.and_then(OfficialRefusal::from_code) {
            Some(refusal) => refusal,
            None if mentions_usage_limit(message, b"") => OfficialRefusal::UsageLimitReached,
            None => return None,
        };
        Some(Self {
            refusal,
            status: None,
            request_id: None,
            param: None,
        })
    }

    /// This error with the answer's request id, when it has none yet (a mid-stream refusal
    /// learns it from the answer's headers).
    pub fn with_request_id(mut self, request_id: Option<&str>) -> Self {
        if self.request_id.is_none() {
            self.request_id = request_id.map(|id| crate::printable::one_line(id, 100));
        }
        self
    }

    /// The documented action.
    pub fn next_step(&self) -> NextStep {
        self.refusal.next_step()
    }

    /// The host's error: never a `retry_after` or a retryable status where the docs say no
    /// retry; a bounded backoff (503) where they say so.
    pub fn to_completion_error(
        &self,
        provider: LanguageModelProviderName,
    ) -> LanguageModelCompletionError {
        let status = match self.next_step() {
            NextStep::RetryLater => Some(http_client::StatusCode::SERVICE_UNAVAILABLE),
            NextStep::RefreshThenSignIn => Some(http_client::StatusCode::UNAUTHORIZED),
            // No status: a 429 or 403 would be read by the host as retryable or as a bad API
            // key; the words say what to do.
            _ => None,
        };
        LanguageModelCompletionError::from_provider_response(
            provider,
            status,
            Some(self.refusal.code().to_string()),
            self.to_string(),
            None,
        )
    }
}

fn mentions_usage_limit(message: Option<&str>, body: &[u8]) -> bool {
    let needle = "usage limit";
    message.is_some_and(|message| message.to_ascii_lowercase().contains(needle))
        || String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains(needle)
}

impl fmt::Display for OfficialApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words = match self.refusal {
            OfficialRefusal::NotEligible => {
                "Your ChatGPT plan can't be used here through Sign in with ChatGPT (it serves Plus \
                 and Pro plans, and a workspace policy may turn it off). Use the Codex route \
                 instead: sign out, then choose \"Use the Codex route\""
            }
            OfficialRefusal::UsageLimitReached => {
                "Usage limit reached for your ChatGPT plan in this app. Manage usage at \
                 https://chatgpt.com/settings/usage"
            }
            OfficialRefusal::UsageUnavailable => {
                "ChatGPT can't check your plan's usage right now; your sign-in is kept. Try \
                 again in a few minutes"
            }
            OfficialRefusal::UnsupportedCapability => {
                "The Sign in with ChatGPT preview does not support part of this request"
            }
            OfficialRefusal::RouteNotSupported => {
                "The Sign in with ChatGPT API refused this kind of request (wrong method or \
                 endpoint); update openai-subscribed"
            }
            OfficialRefusal::InvalidUser => {
                "ChatGPT did not accept this account for plan use. If you disconnected the app \
                 in ChatGPT settings, sign in again"
            }
            OfficialRefusal::ScopeNotAuthorized => {
                "Plan use isn't enabled for this sign-in. To turn it on, sign in again and allow \
                 \"Use your ChatGPT plan\" on the consent page"
            }
            OfficialRefusal::UserUnavailable => {
                "ChatGPT can't serve your account right now; your sign-in is kept. Try again in \
                 a few minutes"
            }
            OfficialRefusal::AdmissionUnauthorized => {
                "ChatGPT did not accept the sign-in for plan use; sign in again"
            }
            OfficialRefusal::Restricted => {
                "ChatGPT refused the request under its policy (for example, the plan can't be \
                 used from your region); retrying won't help"
            }
            OfficialRefusal::RoutingUnavailable => {
                "Sign in with ChatGPT is unavailable or not enabled right now; your sign-in is \
                 kept. Try again in a few minutes"
            }
        };
        f.write_str(words)?;
        if let Some(param) = &self.param {
            write!(f, " (refused: {param})")?;
        }
        match (self.status, &self.request_id) {
            (Some(status), Some(id)) => write!(f, " [HTTP {status}, request id {id}]"),
            (Some(status), None) => write!(f, " [HTTP {status}]"),
            (None, Some(id)) => write!(f, " [request id {id}]"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: &str) -> OfficialApiError {
        let body = serde_json::json!({"error": {"type": "invalid_request_error", "code": code,
            "message": "server words", "param": null}});
        OfficialApiError::from_http(status, body.to_string().as_bytes(), Some("req_1".into()))
            .unwrap()
    }

    #[test]
    fn every_documented_code_has_its_action() {
        let cases = [
            (
                403,
                "subscription_sharing_user_not_eligible",
                NextStep::UseCodexRoute,
            ),
            (
                429,
                "subscription_sharing_usage_limit_exceeded",
                NextStep::ManageUsage,
            ),
            (
                503,
                "subscription_sharing_usage_unavailable",
                NextStep::RetryLater,
            ),
            (
                400,
                "subscription_sharing_unsupported_capability",
                NextStep::NoRetry,
            ),
            (
                403,
                "subscription_sharing_route_not_supported",
                NextStep::NoRetry,
            ),
            (401, "subscription_sharing_invalid_user", NextStep::NoRetry),
            (
                403,
                "chatpass_v2_scope_not_authorized",
                NextStep::EnablePlanUse,
            ),
            (
                403,
                "chatpass_v2_invalid_authorization_context",
                NextStep::EnablePlanUse,
            ),
            (
                503,
                "subscription_sharing_user_unavailable",
                NextStep::RetryLater,
            ),
        ];
        for (status, code, step) in cases {
            let error = refused(status, code);
            assert_eq!(error.next_step(), step, "{code}");
            assert!(error.to_string().contains("request id req_1"), "{error}");
            let host = error.to_completion_error("OpenAI".into());
            let retries = host.retry_delay(1).is_some();
            assert_eq!(retries, step == NextStep::RetryLater, "{code}: {host:?}");
        }
    }

    #[test]
    fn admission_refusals_are_read_from_their_status() {
        let detail = br#"{"detail":"nope"}"#;
        let cases = [
            (401, OfficialRefusal::AdmissionUnauthorized),
            (403, OfficialRefusal::Restricted),
            (503, OfficialRefusal::RoutingUnavailable),
        ];
        for (status, refusal) in cases {
            let error = OfficialApiError::from_http(status, detail, None).unwrap();
            assert_eq!(error.refusal, refusal);
            assert!(
                !error.to_string().contains("nope"),
                "diagnostic text stays out"
            );
        }
        assert!(OfficialApiError::from_http(500, detail, None).is_none());
    }

    #[test]
    fn a_limit_links_to_manage_usage_and_names_no_reset_time() {
        let error = refused(429, "subscription_sharing_usage_limit_exceeded");
        let text = error.to_string();
        assert!(text.contains(MANAGE_USAGE_URL), "{text}");
        assert!(!text.contains("resets"), "{text}");
        assert!(
            error
                .to_completion_error("OpenAI".into())
                .retry_delay(1)
                .is_none()
        );
        // The limit's text without its code (seen once) is the limit too.
        let bare = OfficialApiError::from_http(
            429,
            br#"{"error":{"message":"The ChatGPT user has reached their Subscription Sharing usage limit."}}"#,
            None,
        )
        .unwrap();
        assert_eq!(bare.refusal, OfficialRefusal::UsageLimitReached);
    }

    #[test]
    fn mid_stream_codes_learn_the_request_id_later() {
        let error = OfficialApiError::from_code(
            Some("subscription_sharing_usage_limit_exceeded"),
            Some("limit"),
        )
        .unwrap()
        .with_request_id(Some("req_9"));
        assert!(error.to_string().contains("request id req_9"));
        assert!(OfficialApiError::from_code(Some("server_is_overloaded"), None).is_none());
    }

    #[test]
    fn the_refused_param_is_named() {
        let body =
            br#"{"error":{"code":"subscription_sharing_unsupported_capability","param":"tools"}}"#;
        let error = OfficialApiError::from_http(400, body, None).unwrap();
        assert!(error.to_string().contains("(refused: tools)"), "{error}");
    }
}
