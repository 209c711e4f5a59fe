//! How a provider reports failures to the host: [`LanguageModelCompletionError`],
//! [`ProviderErrorCategory`] and [`AuthenticateError`].
//!
//! Follows `crates/language_model_core/src/language_model_core.rs` of zed-industries/zed (the
//! error enum, its constructors `from_http_status` / `from_provider_response`, and
//! `retry_delay`), with the message helpers of `crates/language_model_core/src/util.rs`.
//!
//! A provider builds a rejection through [`LanguageModelCompletionError::from_provider_response`]
//! so that the category is derived in one place. The host's agent retries what
//! [`LanguageModelCompletionError::retry_delay`] says: a provider-supplied `retry_after` is
//! honoured *as is*, so a provider must only set it for short waits.

use super::LanguageModelProviderName;
use http_client::{StatusCode, http};
use std::io;
use std::time::Duration;
use thiserror::Error;

/// Normalized meaning of a provider-originated rejection (upstream's `ProviderErrorCategory`).
///
/// It never replaces the raw `status`, `code` and `message` a rejection carries beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderErrorCategory {
    /// The request exceeded the model's context window.
    PromptTooLarge {
        /// The provider-reported token count, when it gave one.
        tokens: Option<u64>,
    },
    /// The provider refused previously generated opaque content (e.g. encrypted reasoning).
    InvalidEncryptedContent,
    /// The credentials were refused.
    Authentication,
    /// The account may not do this.
    Permission,
    /// The endpoint does not exist.
    EndpointNotFound,
    /// Payment is required.
    PaymentRequired,
    /// Too many requests in a short time.
    RateLimit,
    /// The provider is overloaded.
    Overloaded,
    /// The request was malformed.
    InvalidRequest,
    /// A conflicting request.
    Conflict,
    /// The provider timed out.
    Timeout,
    /// The provider failed internally.
    InternalServer,
    /// No known meaning; callers fall back to `status`/`code`.
    Other,
}

impl ProviderErrorCategory {
    /// Classifies a rejection from its status, raw code and message (message checks first,
    /// since some providers report context-window errors without a distinguishing status).
    fn classify(status: Option<StatusCode>, code: Option<&str>, message: &str) -> Self {
        if let Some(tokens) = parse_prompt_too_long(message) {
            return Self::PromptTooLarge {
                tokens: Some(tokens),
            };
        }
        if is_context_window_exceeded_message(message) {
            return Self::PromptTooLarge { tokens: None };
        }
        if code == Some("invalid_encrypted_content")
            || is_invalid_encrypted_content_message(message)
        {
            return Self::InvalidEncryptedContent;
        }
        match code {
            Some("context_length_exceeded" | "request_too_large") => {
                return Self::PromptTooLarge { tokens: None };
            }
            Some("invalid_request_error") => return Self::InvalidRequest,
            Some("authentication_error") => return Self::Authentication,
            Some("billing_error" | "payment_required_error") => return Self::PaymentRequired,
            Some("permission_error") => return Self::Permission,
            Some("not_found_error") => return Self::EndpointNotFound,
            Some("conflict_error") => return Self::Conflict,
            Some("rate_limit_error" | "rate_limit_exceeded") => return Self::RateLimit,
            Some("timeout_error" | "request_timed_out") => return Self::Timeout,
            Some("api_error" | "internal_server_error") => return Self::InternalServer,
            Some("overloaded_error") => return Self::Overloaded,
            Some(_) | None => {}
        }
        match status {
            Some(StatusCode::UNAUTHORIZED) => Self::Authentication,
            Some(StatusCode::FORBIDDEN) => Self::Permission,
            Some(StatusCode::NOT_FOUND) => Self::EndpointNotFound,
            Some(StatusCode::PAYMENT_REQUIRED) => Self::PaymentRequired,
            Some(StatusCode::PAYLOAD_TOO_LARGE) => Self::PromptTooLarge {
                tokens: parse_prompt_too_long(message),
            },
            Some(StatusCode::BAD_REQUEST) => Self::InvalidRequest,
            Some(StatusCode::CONFLICT) => Self::Conflict,
            Some(StatusCode::REQUEST_TIMEOUT | StatusCode::GATEWAY_TIMEOUT) => Self::Timeout,
            Some(StatusCode::TOO_MANY_REQUESTS) => Self::RateLimit,
            Some(StatusCode::SERVICE_UNAVAILABLE) => Self::Overloaded,
            Some(StatusCode::INTERNAL_SERVER_ERROR) => Self::InternalServer,
            // The unofficial 529 "overloaded" some providers send.
            Some(status) if status.as_u16() == 529 => Self::Overloaded,
            _ => Self::Other,
        }
    }
}

/// Why a completion failed.
#[derive(Error, Debug)]
pub enum LanguageModelCompletionError {
    /// The model needs consent to the upstream provider retaining inference logs.
    #[error(
        "{model_name} cannot be offered with Zero Data Retention. \
        Anthropic will retain inference logs."
    )]
    DataRetentionConsentRequired {
        /// The model.
        model_name: String,
    },
    /// No credentials (for key-based providers: no API key; here: not signed in).
    #[error("missing {provider} API key")]
    NoApiKey {
        /// The provider.
        provider: LanguageModelProviderName,
    },
    /// A rejection reported by the provider itself (not a transport failure). Build it with
    /// [`LanguageModelCompletionError::from_provider_response`] or `from_http_status`.
    #[error("{message}")]
    ProviderRejection {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The HTTP status, verbatim, when there was one.
        status: Option<StatusCode>,
        /// The provider's own error code, verbatim.
        code: Option<String>,
        /// What to show the user.
        message: String,
        /// How long to wait before an automatic retry; honoured as is by `retry_delay`.
        retry_after: Option<Duration>,
        /// The rejection's meaning, derived from the three fields above.
        category: ProviderErrorCategory,
    },
    /// Reading the answer failed mid-way.
    #[error("I/O error reading response from {provider}'s API")]
    ApiReadResponseError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The I/O error.
        #[source]
        error: io::Error,
    },
    /// The request could not be serialized.
    #[error("error serializing request to {provider} API")]
    SerializeRequest {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The serialization error.
        #[source]
        error: serde_json::Error,
    },
    /// The request body could not be built.
    #[error("error building request body to {provider} API")]
    BuildRequestBody {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The HTTP builder's error.
        #[source]
        error: http::Error,
    },
    /// The request could not be sent (connection refused, DNS, TLS…).
    #[error("error sending HTTP request to {host} for {provider}")]
    HttpSend {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The host the request went to.
        host: String,
        /// The transport error.
        #[source]
        error: anyhow::Error,
    },
    /// The answer was not the expected JSON.
    #[error("error deserializing {provider} API response")]
    DeserializeResponse {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The parse error.
        #[source]
        error: serde_json::Error,
    },
    /// The stream closed before the provider said it was done.
    #[error("stream from {provider} ended unexpectedly")]
    StreamEndedUnexpectedly {
        /// The provider.
        provider: LanguageModelProviderName,
    },
    /// Anything else, with its message.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl LanguageModelCompletionError {
    /// A rejection from an HTTP status and the provider's message.
    pub fn from_http_status(
        provider: LanguageModelProviderName,
        status_code: StatusCode,
        message: String,
        retry_after: Option<Duration>,
    ) -> Self {
        Self::from_provider_response(provider, Some(status_code), None, message, retry_after)
    }

    /// A [`LanguageModelCompletionError::ProviderRejection`], its category derived centrally
    /// from `status`, `code` and `message`.
    pub fn from_provider_response(
        provider: LanguageModelProviderName,
        status: Option<StatusCode>,
        code: Option<String>,
        message: String,
        retry_after: Option<Duration>,
    ) -> Self {
        let category = ProviderErrorCategory::classify(status, code.as_deref(), &message);
        Self::ProviderRejection {
            provider,
            status,
            code,
            message,
            retry_after,
            category,
        }
    }

    /// The delay before retry `attempt` (one-based): a provider's `retry_after` as is, else
    /// exponential backoff from 5 to 40 seconds; `None` for errors that are not transient.
    pub fn retry_delay(&self, attempt: usize) -> Option<Duration> {
        if attempt == 0 {
            return None;
        }
        match self {
            Self::ProviderRejection {
                status,
                retry_after,
                category,
                ..
            } if status.is_some_and(is_retryable_provider_status)
                || matches!(
                    category,
                    ProviderErrorCategory::RateLimit | ProviderErrorCategory::Overloaded
                )
                || retry_after.is_some() =>
            {
                (*retry_after).or_else(|| exponential_backoff(attempt))
            }
            Self::ApiReadResponseError { .. } | Self::HttpSend { .. } => {
                exponential_backoff(attempt)
            }
            Self::DataRetentionConsentRequired { .. }
            | Self::NoApiKey { .. }
            | Self::ProviderRejection { .. }
            | Self::SerializeRequest { .. }
            | Self::BuildRequestBody { .. }
            | Self::DeserializeResponse { .. }
            | Self::StreamEndedUnexpectedly { .. }
            | Self::Other(_) => None,
        }
    }
}

fn is_retryable_provider_status(status: StatusCode) -> bool {
    status.is_server_error() || matches!(status.as_u16(), 408 | 425 | 429)
}

fn exponential_backoff(attempt: usize) -> Option<Duration> {
    const INITIAL_BACKOFF: Duration = Duration::from_secs(5);
    const MAXIMUM_BACKOFF: Duration = Duration::from_secs(40);
    let exponent = u32::try_from(attempt.checked_sub(1)?).unwrap_or(u32::MAX);
    let multiplier = 2_u32.checked_pow(exponent).unwrap_or(u32::MAX);
    Some(
        INITIAL_BACKOFF
            .checked_mul(multiplier)
            .unwrap_or(MAXIMUM_BACKOFF)
            .min(MAXIMUM_BACKOFF),
    )
}

fn is_invalid_encrypted_content_message(message: &str) -> bool {
    let Ok(response) = serde_json::from_str::<serde_json::Value>(message) else {
        return false;
    };
    response
        .get("error")
        .and_then(|error| error.get("code"))
        .or_else(|| response.get("code"))
        .and_then(serde_json::Value::as_str)
        == Some("invalid_encrypted_content")
}

/// The token count in a "prompt is too long: N tokens > M maximum" message (upstream `util`).
pub fn parse_prompt_too_long(message: &str) -> Option<u64> {
    let rest = message.strip_prefix("prompt is too long: ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Whether a message says the context window was exceeded (upstream `util`).
pub fn is_context_window_exceeded_message(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("context window") && message.contains("exceed")
        || message.contains("context_length_exceeded")
        || message.contains("maximum context length")
}

/// Why `authenticate` failed.
#[derive(Error, Debug)]
pub enum AuthenticateError {
    /// The service could not be reached.
    #[error("connection refused")]
    ConnectionRefused,
    /// No stored credentials: the user has to sign in.
    #[error("credentials not found")]
    CredentialsNotFound,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}
