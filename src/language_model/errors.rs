//! How a provider reports failures to the host, as in Zed.
//!
//! The host's agent retries on [`LanguageModelCompletionError::RateLimitExceeded`] and
//! [`LanguageModelCompletionError::ServerOverloaded`] after `retry_after`, so providers must map
//! their backend's answers onto these variants faithfully.

use super::LanguageModelProviderName;
use http_client::StatusCode;
use std::time::Duration;
use thiserror::Error;

/// Why a completion failed.
#[derive(Error, Debug)]
pub enum LanguageModelCompletionError {
    /// The prompt does not fit the model's context window.
    #[error("prompt too large for context window")]
    PromptTooLarge {
        /// The prompt's size, when the provider said.
        tokens: Option<u64>,
    },
    /// The user is not signed in (for key-based providers: no API key).
    #[error("missing {provider} API key")]
    NoApiKey {
        /// The provider.
        provider: LanguageModelProviderName,
    },
    /// The stream closed before the provider said it was done.
    #[error("{provider}'s stream ended unexpectedly")]
    StreamEndedUnexpectedly {
        /// The provider.
        provider: LanguageModelProviderName,
    },
    /// Too many requests; retry after the given time.
    #[error("{provider}'s API rate limit exceeded")]
    RateLimitExceeded {
        /// The provider.
        provider: LanguageModelProviderName,
        /// When to retry, if known.
        retry_after: Option<Duration>,
    },
    /// The provider is overloaded; retry after the given time.
    #[error("{provider}'s API servers are overloaded right now")]
    ServerOverloaded {
        /// The provider.
        provider: LanguageModelProviderName,
        /// When to retry, if known.
        retry_after: Option<Duration>,
    },
    /// The provider failed internally.
    #[error("{provider}'s API server reported an internal server error: {message}")]
    ApiInternalServerError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// What it said.
        message: String,
    },
    /// The request was malformed.
    #[error("{provider}'s API rejected the request: {message}")]
    BadRequestFormat {
        /// The provider.
        provider: LanguageModelProviderName,
        /// What it said.
        message: String,
    },
    /// The credentials were refused.
    #[error("authentication error with {provider}'s API: {message}")]
    AuthenticationError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// What went wrong, in words.
        message: String,
    },
    /// The account may not do this.
    #[error("permission error with {provider}'s API: {message}")]
    PermissionError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// What went wrong, in words.
        message: String,
    },
    /// Any other HTTP error answer.
    #[error("{provider}'s API answered {status_code}: {message}")]
    HttpResponseError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The HTTP status.
        status_code: StatusCode,
        /// What it said.
        message: String,
    },
    /// The request could not be sent (connection refused, DNS, TLS…).
    #[error("error sending HTTP request to {provider}: {error}")]
    HttpSend {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The transport error.
        #[source]
        error: anyhow::Error,
    },
    /// Reading the answer failed mid-way.
    #[error("I/O error reading response from {provider}'s API")]
    ApiReadResponseError {
        /// The provider.
        provider: LanguageModelProviderName,
        /// The I/O error.
        #[source]
        error: std::io::Error,
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
    /// Anything else, with its message.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Why `authenticate` failed.
#[derive(Error, Debug)]
pub enum AuthenticateError {
    /// No stored credentials: the user has to sign in.
    #[error("credentials not found")]
    CredentialsNotFound,
    /// The service could not be reached.
    #[error("connection refused")]
    ConnectionRefused,
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}
