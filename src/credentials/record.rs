//! [`StoredCredentials`]: the one record a credential store keeps, and its versioned encoding.
//!
//! Every store (keychain, file, memory) keeps the same JSON document, so a sign-in moves between
//! them unchanged. The document carries a format `version`: a record written by an older or a
//! newer version of this crate, or one that is not valid JSON at all, is *not an error that stops
//! anything*: [`StoredCredentials::decode`] reports it as [`UnusableRecord`], the store logs one
//! warning and answers "no credentials" (the user is signed out and can sign in again, which
//! overwrites the record). Nothing else in the store is touched.

use crate::oauth::{IdentityClaims, PlanType, TokenSet};
use crate::secret::{AccessToken, IdToken, RefreshToken};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The format version this crate writes and reads. Bump it when a field changes meaning.
pub const CREDENTIALS_FORMAT_VERSION: u32 = 1;

/// A signed-in account as the store keeps it. Its `Debug` output is safe to log: the tokens are
/// secret types that print `[redacted]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredentials {
    /// The format version ([`CREDENTIALS_FORMAT_VERSION`] when written by this crate).
    pub version: u32,
    /// The access token (a JWT).
    pub access_token: AccessToken,
    /// The refresh token; single use, rotated by every refresh.
    pub refresh_token: RefreshToken,
    /// The ID token (a JWT naming the user).
    pub id_token: IdToken,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The ChatGPT account id (sent as `ChatGPT-Account-Id`).
    pub account_id: Option<String>,
    /// The user's email, for display.
    pub email: Option<String>,
    /// The plan, for display.
    pub plan: Option<PlanType>,
    /// The ChatGPT user id.
    #[serde(default)]
    pub user_id: Option<String>,
}

/// Why a stored record cannot be used. Its text never quotes the record (it holds tokens).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UnusableRecord {
    /// The bytes are not a JSON object with a numeric `version`.
    #[error("the stored ChatGPT sign-in is not readable (not a versioned JSON record)")]
    Unreadable,
    /// Written by an older version of this crate, in a format no longer read.
    #[error(
        "the stored ChatGPT sign-in uses an older format (version {found}, expected {CREDENTIALS_FORMAT_VERSION})"
    )]
    Older {
        /// The version found.
        found: u64,
    },
    /// Written by a newer version of this crate.
    #[error(
        "the stored ChatGPT sign-in was written by a newer version (format {found}, this version reads {CREDENTIALS_FORMAT_VERSION})"
    )]
    Newer {
        /// The version found.
        found: u64,
    },
    /// The version is right but a field is missing or malformed.
    #[error("the stored ChatGPT sign-in is incomplete or damaged")]
    Damaged,
}

impl StoredCredentials {
    /// The record for a token set, in the current format.
    pub fn from_token_set(tokens: &TokenSet) -> Self {
        Self {
            version: CREDENTIALS_FORMAT_VERSION,
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            id_token: tokens.id_token.clone(),
            expires_at: tokens.expires_at,
            account_id: tokens.identity.account_id.clone(),
            email: tokens.identity.email.clone(),
            plan: tokens.identity.plan.clone(),
            user_id: tokens.identity.user_id.clone(),
        }
    }

    /// The token set this record holds.
    pub fn to_token_set(&self) -> TokenSet {
        TokenSet {
            id_token: self.id_token.clone(),
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: self.expires_at,
            identity: IdentityClaims {
                email: self.email.clone(),
                account_id: self.account_id.clone(),
                plan: self.plan.clone(),
                user_id: self.user_id.clone(),
            },
        }
    }

    /// The record as the bytes a store keeps (pretty JSON, so a person can inspect the file
    /// store's non-secret fields).
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("a record of strings always serializes")
    }

    /// Reads a record, checking its format version before anything else.
    pub fn decode(bytes: &[u8]) -> Result<Self, UnusableRecord> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| UnusableRecord::Unreadable)?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(UnusableRecord::Unreadable)?;
        let current = u64::from(CREDENTIALS_FORMAT_VERSION);
        if version < current {
            return Err(UnusableRecord::Older { found: version });
        }
        if version > current {
            return Err(UnusableRecord::Newer { found: version });
        }
        serde_json::from_value(value).map_err(|_| UnusableRecord::Damaged)
    }

    /// [`decode`](Self::decode), turning an unusable record into one warning and "no
    /// credentials": the user is signed out, nothing crashes, nothing is deleted.
    pub fn decode_or_warn(bytes: &[u8], store: &str) -> Option<Self> {
        match Self::decode(bytes) {
            Ok(record) => Some(record),
            Err(unusable) => {
                log::warn!("{unusable} in the {store}; treating the user as signed out");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn record() -> StoredCredentials {
        StoredCredentials {
            version: CREDENTIALS_FORMAT_VERSION,
            access_token: AccessToken::new("access-secret"),
            refresh_token: RefreshToken::new("refresh-secret"),
            id_token: IdToken::new("id-secret"),
            expires_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
            account_id: Some("acct".into()),
            email: Some("ada@example.com".into()),
            plan: Some(PlanType::Plus),
            user_id: None,
        }
    }

    #[test]
    fn round_trips_and_debug_hides_tokens() {
        let record = record();
        assert_eq!(StoredCredentials::decode(&record.encode()).unwrap(), record);
        let debug = format!("{record:?}");
        assert!(!debug.contains("secret"), "{debug}");
        assert_eq!(
            StoredCredentials::from_token_set(&record.to_token_set()),
            record
        );
    }

    #[test]
    fn unusable_records_are_classified_not_panics() {
        let mut older = serde_json::to_value(record()).unwrap();
        older["version"] = 0.into();
        let mut newer = older.clone();
        newer["version"] = 7.into();
        let mut damaged = serde_json::to_value(record()).unwrap();
        damaged.as_object_mut().unwrap().remove("refresh_token");
        let cases: [(Vec<u8>, UnusableRecord); 6] = [
            (b"".to_vec(), UnusableRecord::Unreadable),
            (b"\x00\xff garbage".to_vec(), UnusableRecord::Unreadable),
            (
                br#"{"access_token":"a"}"#.to_vec(),
                UnusableRecord::Unreadable,
            ),
            (
                older.to_string().into_bytes(),
                UnusableRecord::Older { found: 0 },
            ),
            (
                newer.to_string().into_bytes(),
                UnusableRecord::Newer { found: 7 },
            ),
            (damaged.to_string().into_bytes(), UnusableRecord::Damaged),
        ];
        for (bytes, expected) in cases {
            let error = StoredCredentials::decode(&bytes).unwrap_err();
            assert_eq!(error, expected);
            assert!(!error.to_string().contains("secret"));
            assert_eq!(
                StoredCredentials::decode_or_warn(&bytes, "test store"),
                None
            );
        }
    }
}
