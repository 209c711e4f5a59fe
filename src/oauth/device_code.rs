//! Device-code sign-in, for machines without a usable browser or callback port (SSH sessions,
//! containers, WSL, both ports busy). The issuer's flow is close to RFC 8628:
//!
//! 1. [`request_device_code`]: `POST {issuer}/api/accounts/deviceauth/usercode` with
//!    `{"client_id"}` gives a [`DeviceCode`]: the user code to show with the verification URL
//!    `{issuer}/codex/device`, and the polling interval (which may arrive as a string). A 404
//!    means the issuer has device sign-in switched off.
//! 2. [`DeviceCode::wait_for_approval`]: poll `POST {issuer}/api/accounts/deviceauth/token`
//!    with `{"device_auth_id", "user_code"}` every interval; 403 and 404 mean "not approved yet".
//!    Give up after 15 minutes. Success carries an authorization code and the PKCE verifier the
//!    issuer made, which go through the normal code exchange with
//!    `redirect_uri = {issuer}/deviceauth/callback`.
//!
//! The device auth id and the user code together are enough to collect the sign-in, so
//! [`DeviceCode`]'s `Debug` redacts both; the user code is handed out only by
//! [`DeviceCode::user_code`], for showing to the user.
use super::cancel::{CancelHandle, cancellable};
use super::error::OAuthError;
use super::issuer_request::{RequestBody, post};
use super::time_limit::within;
use super::token_exchange::exchange_code;
use super::tokens::TokenSet;
use crate::config::Config;
use crate::network_number;
use crate::secret::{AuthorizationCode, PkceVerifier, REDACTED};
use gpui::{BackgroundExecutor, Task};
use http_client::HttpClient;
use http_client::http::StatusCode;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// How long to poll before giving up (the issuer's codes live this long).
pub(crate) const DEFAULT_TIME_LIMIT: Duration = Duration::from_secs(15 * 60);
/// The interval used when the issuer names none (RFC 8628 §3.2's default).
pub(crate) const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// Bounds on the interval: never hammer the issuer, never look hung.
const MIN_INTERVAL: Duration = Duration::from_secs(1);
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// What a `slow_down` answer adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// How patient the polling is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceCodeOptions {
    /// Give up after this long.
    pub time_limit: Duration,
}

impl Default for DeviceCodeOptions {
    fn default() -> Self {
        Self {
            time_limit: DEFAULT_TIME_LIMIT,
        }
    }
}

/// A device code to show the user, before polling starts.
pub struct DeviceCode {
    verification_url: Url,
    user_code: String,
    device_auth_id: String,
    interval: Duration,
}

impl std::fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCode")
            .field("verification_url", &self.verification_url.as_str())
            .field("user_code", &REDACTED)
            .field("device_auth_id", &REDACTED)
            .field("interval", &self.interval)
            .finish()
    }
}

/// The polling in progress.
pub struct DeviceSignIn {
    /// Stops the polling (the task then ends with [`OAuthError::Cancelled`]).
    pub cancel: CancelHandle,
    /// The tokens, once the user has approved and the code is exchanged.
    pub task: Task<Result<TokenSet, OAuthError>>,
}

impl std::fmt::Debug for DeviceSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceSignIn").finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct UserCodeAnswer {
    device_auth_id: String,
    #[serde(alias = "usercode")]
    user_code: String,
    #[serde(default)]
    interval: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct ApprovalAnswer {
    authorization_code: String,
    code_verifier: String,
}

/// Asks the issuer for a device code.
pub fn request_device_code(
    http: Arc<dyn HttpClient>,
    config: &Config,
    executor: &BackgroundExecutor,
) -> Task<Result<DeviceCode, OAuthError>> {
    let config = config.clone();
    let task_executor = executor.clone();
    executor.spawn(async move {
        let body = RequestBody::json(&serde_json::json!({ "client_id": config.client_id }));
        let answer = post(
            http.as_ref(),
            &task_executor,
            &config,
            &config.device_usercode_url(),
            body,
        )
        .await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Err(OAuthError::DeviceCodeDisabled);
        }
        if !answer.is_success() {
            return Err(answer.error());
        }
        let code: UserCodeAnswer = answer.json()?;
        Ok(DeviceCode {
            verification_url: config.device_verification_url(),
            user_code: code.user_code,
            device_auth_id: code.device_auth_id,
            interval: parse_interval(code.interval.as_ref()),
        })
    })
}

impl DeviceCode {
    /// Where the user types the code: `{issuer}/codex/device`.
    pub fn verification_url(&self) -> &Url {
        &self.verification_url
    }

    /// The code to show the user, e.g. `K7QM-2XHT`.
    pub fn user_code(&self) -> &str {
        &self.user_code
    }

    /// How often the issuer wants to be polled.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Starts polling; the task ends with the tokens, or with [`OAuthError::TimedOut`] after
    /// `options.time_limit`, or [`OAuthError::Cancelled`].
    pub fn wait_for_approval(
        self,
        http: Arc<dyn HttpClient>,
        config: &Config,
        executor: &BackgroundExecutor,
        options: DeviceCodeOptions,
    ) -> DeviceSignIn {
        let config = config.clone();
        let task_executor = executor.clone();
        let time_limit = options.time_limit;
        let (cancel, polling) = cancellable(async move {
            let executor = task_executor;
            let approval = within(
                &executor,
                time_limit,
                self.poll(http.as_ref(), &executor, &config),
            )
            .await
            .map_err(|_| OAuthError::TimedOut { after: time_limit })??;
            log::debug!("device sign-in approved; exchanging the code");
            exchange_code(
                http.as_ref(),
                &executor,
                &config,
                AuthorizationCode::new(approval.authorization_code),
                PkceVerifier::new(approval.code_verifier),
                &config.device_redirect_uri(),
            )
            .await
        });
        DeviceSignIn {
            cancel,
            task: executor.spawn(polling),
        }
    }

    /// Polls until the issuer approves or refuses.
    async fn poll(
        &self,
        http: &dyn HttpClient,
        executor: &BackgroundExecutor,
        config: &Config,
    ) -> Result<ApprovalAnswer, OAuthError> {
        let mut interval = self.interval;
        let url = config.device_token_url();
        loop {
            executor.timer(interval).await;
            let body = RequestBody::json(&serde_json::json!({
                "device_auth_id": self.device_auth_id,
                "user_code": self.user_code,
            }));
            let answer = post(http, executor, config, &url, body).await?;
            if answer.is_success() {
                return answer.json();
            }
            match Pending::from_status_and_error(answer.status, &answer.error()) {
                Some(Pending::Waiting) => log::debug!("device sign-in not approved yet"),
                Some(Pending::SlowDown) => {
                    interval = interval.saturating_add(SLOW_DOWN_STEP).min(MAX_INTERVAL);
                }
                None => return Err(answer.error()),
            }
        }
    }
}

/// Why a poll was not yet a yes.
#[derive(Debug, PartialEq, Eq)]
enum Pending {
    /// The user has not approved yet: poll again after the interval.
    Waiting,
    /// Polling too fast (RFC 8628 §3.5): lengthen the interval.
    SlowDown,
}

impl Pending {
    fn from_status_and_error(status: StatusCode, error: &OAuthError) -> Option<Self> {
        if *error == OAuthError::NoCodexEntitlement {
            return None;
        }
        if let OAuthError::IssuerError {
            code: Some(code), ..
        } = error
        {
            if code == "slow_down" {
                return Some(Self::SlowDown);
            }
            if code.ends_with("authorization_pending") {
                return Some(Self::Waiting);
            }
        }
        matches!(status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND).then_some(Self::Waiting)
    }
}

/// The interval in whole seconds, sent as a number or (as the issuer does) a string of digits;
/// anything else, or nothing, means the default (checked by [`network_number`]). Bounded to
/// 1..=60 s.
fn parse_interval(value: Option<&serde_json::Value>) -> Duration {
    match network_number::whole_or_digits(value, "the device-code interval") {
        Some(seconds) => Duration::from_secs(seconds).clamp(MIN_INTERVAL, MAX_INTERVAL),
        None => DEFAULT_INTERVAL,
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn interval_may_be_a_number_or_a_string() {
        let secs = |value: serde_json::Value| parse_interval(Some(&value)).as_secs_f64();
        assert_eq!(secs(json!(5)), 5.0);
        assert_eq!(secs(json!("5")), 5.0);
        assert_eq!(secs(json!(" 7 ")), 7.0);
        // A fraction or a negative number is not an interval: the default, with a log line.
        assert_eq!(secs(json!(2.5)), 5.0);
        assert_eq!(secs(json!(0)), 1.0);
        assert_eq!(secs(json!(-3)), 5.0);
        assert_eq!(secs(json!(u64::MAX)), 60.0);
        assert_eq!(secs(json!(100_000)), 60.0);
        assert_eq!(secs(json!("soon")), 5.0);
        assert_eq!(secs(json!(null)), 5.0);
        assert_eq!(parse_interval(None), DEFAULT_INTERVAL);
        assert_eq!(secs(json!("1e400")), 5.0);
    }

    proptest::proptest! {
        /// Whatever the issuer sends as the user-code answer, it is read or refused, and the
        /// interval stays within 1..=60 s.
        #[test]
        fn user_code_answers_never_panic(
            interval in proptest::prelude::any::<Option<String>>(),
            number in proptest::prelude::any::<f64>(),
            whole in proptest::prelude::any::<i64>(),
            pick in 0..4u8,
        ) {
            let interval = match pick {
                0 => json!(interval),
                1 => json!(number),
                2 => json!(whole),
                _ => json!([whole]),
            };
            let body = json!({"device_auth_id": "d", "user_code": "U", "interval": interval});
            let answer: UserCodeAnswer = serde_json::from_value(body).unwrap();
            let chosen = parse_interval(answer.interval.as_ref());
            proptest::prop_assert!((MIN_INTERVAL..=MAX_INTERVAL).contains(&chosen));
        }
    }

    #[test]
    fn pending_answers_are_recognised() {
        let error =
            |status: u16, code: Option<&str>| OAuthError::issuer(Some(status), code, "message");
        let check = |status: u16, code: Option<&str>| {
            Pending::from_status_and_error(
                StatusCode::from_u16(status).unwrap(),
                &error(status, code),
            )
        };
        assert_eq!(check(403, None), Some(Pending::Waiting));
        assert_eq!(check(404, None), Some(Pending::Waiting));
        assert_eq!(
            check(400, Some("authorization_pending")),
            Some(Pending::Waiting)
        );
        assert_eq!(check(400, Some("slow_down")), Some(Pending::SlowDown));
        assert_eq!(check(400, Some("expired_token")), None);
        assert_eq!(check(500, None), None);
    }

    #[test]
    fn debug_hides_the_codes() {
        let code = DeviceCode {
            verification_url: Url::parse("https://auth.openai.com/codex/device").unwrap(),
            user_code: "K7QM-2XHT".into(),
            device_auth_id: "dev_secret_id".into(),
            interval: Duration::from_secs(5),
        };
        let printed = format!("{code:?}");
        assert!(!printed.contains("K7QM"), "{printed}");
        assert!(!printed.contains("dev_secret_id"), "{printed}");
        assert!(printed.contains("codex/device"), "{printed}");
    }
}
