//! [`StoredCredentials`]: the one record a credential store keeps, and its versioned encoding.
//!
//! Every store (keychain, file, memory) keeps the same JSON document, so a sign-in moves between
//! them unchanged. The document carries a format `version`: a record written by an older or a
//! newer version of this crate, or one that is not valid JSON at all, is *not an error that stops
//! anything*: [`StoredCredentials::decode`] reports it as [`UnusableRecord`], the store logs one
//! warning and answers "no credentials" (the user is signed out and can sign in again, which
//! overwrites the record). Nothing else in the store is touched.
//!
//! The record keeps only what a session needs (as upstream Zed does): the access and refresh
//! tokens, the expiry, the account id, the email and the plan. Not the ID token: with real
//! tokens (JWTs of 1.5–2 KB) it pushed the record past the 2,560 bytes Windows' credential store
//! takes ([`MAX_RECORD_BYTES`]). A record written by an older version (format 1, with the ID
//! token) still loads, marked [`RecordFormat::Migrated`], and the auth state rewrites it in
//! today's shape on that first read.

use crate::oauth::{IdentityClaims, PlanType, TokenSet};
use crate::route::Route;
use crate::secret::{AccessToken, RefreshToken};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The format version this crate writes and reads. Bump it when a field changes meaning.
///
/// - 1: also kept the ID token and the user id. Real tokens made such a record larger than the
///   2,560 bytes Windows' credential store takes; it is still read (and rewritten as 2).
/// - 2: only what a session needs, as upstream Zed stores it.
pub const CREDENTIALS_FORMAT_VERSION: u32 = 2;

/// The oldest format still read (and migrated on first read).
const OLDEST_READ_FORMAT_VERSION: u64 = 1;

/// The most a record may take: Windows' credential store refuses larger secrets
/// (`CRED_MAX_CREDENTIAL_BLOB_SIZE`, 5 × 512 bytes).
pub const MAX_RECORD_BYTES: usize = 2560;

/// Which format a record was read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RecordFormat {
    /// Today's format (or not read at all: built in memory).
    #[default]
    Current,
    /// An older format, migrated when read: the store should be rewritten in today's format.
    Migrated {
        /// The format version found.
        from: u64,
    },
}

/// A signed-in account as the store keeps it: the tokens a session needs and who they belong
/// to, nothing more (no ID token: its email and plan are kept as fields). Its `Debug` output is
/// safe to log: the tokens are secret types that print `[redacted]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCredentials {
    /// The format version ([`CREDENTIALS_FORMAT_VERSION`] when written by this crate).
    pub version: u32,
    /// The access token (a JWT).
    pub access_token: AccessToken,
    /// The refresh token; single use, rotated by every refresh.
    pub refresh_token: RefreshToken,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// The ChatGPT account id (sent as `ChatGPT-Account-Id`).
    pub account_id: Option<String>,
    /// The user's email, for display.
    pub email: Option<String>,
    /// The plan, for display.
    pub plan: Option<PlanType>,
    /// The route the sign-in took; a record written before routes were recorded is a Codex-route
    /// sign-in.
    #[serde(default)]
    pub route: Route,
    /// The official route's issued client id, user and plan use (`None` on the Codex route).
    /// The ID token is not kept here (see [`crate::siwc`]: it lives in the registration file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub official: Option<crate::siwc::OfficialSession>,
    /// Which format the record was read from; never stored.
    #[serde(skip)]
    pub format: RecordFormat,
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
            expires_at: tokens.expires_at,
            account_id: tokens.identity.account_id.clone(),
            email: tokens.identity.email.clone(),
            plan: tokens.identity.plan.clone(),
            route: tokens.route(),
            official: tokens.official.clone(),
            format: RecordFormat::Current,
        }
    }

    /// The token set this record holds (without an ID token: none is kept).
    pub fn to_token_set(&self) -> TokenSet {
        TokenSet {
            id_token: None,
            access_token: self.access_token.clone(),
            refresh_token: self.refresh_token.clone(),
            expires_at: self.expires_at,
            identity: IdentityClaims {
                email: self.email.clone(),
                account_id: self.account_id.clone(),
                plan: self.plan.clone(),
                user_id: self
                    .official
                    .as_ref()
                    .map(|session| session.subject.clone()),
            },
            official: self.official.clone(),
        }
    }

    /// Whether the record was read from an older format and should be written back as today's.
    pub(crate) fn needs_rewrite(&self) -> bool {
        matches!(self.format, RecordFormat::Migrated { .. })
    }

    /// The record as the bytes a store keeps: compact JSON, so that real-sized tokens stay
    /// under [`MAX_RECORD_BYTES`].
    #[allow(clippy::expect_used, reason = "a record of strings always serializes")]
    pub fn encode(&self) -> Vec<u8> {
        let mut record = self.clone();
        record.version = CREDENTIALS_FORMAT_VERSION;
        serde_json::to_vec(&record).expect("a record of strings always serializes")
    }

    /// Reads a record, checking its format version before anything else. A record of an older
    /// format still read comes back in today's shape, marked `RecordFormat::Migrated`.
    pub fn decode(bytes: &[u8]) -> Result<Self, UnusableRecord> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| UnusableRecord::Unreadable)?;
        let version = value
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .ok_or(UnusableRecord::Unreadable)?;
        let current = u64::from(CREDENTIALS_FORMAT_VERSION);
        if version < OLDEST_READ_FORMAT_VERSION {
            return Err(UnusableRecord::Older { found: version });
        }
        if version > current {
            return Err(UnusableRecord::Newer { found: version });
        }
        // Version 1 had the same fields plus `id_token` and `user_id`, which are ignored.
        let mut record: Self =
            serde_json::from_value(value).map_err(|_| UnusableRecord::Damaged)?;
        if version < current {
            record.version = CREDENTIALS_FORMAT_VERSION;
            record.format = RecordFormat::Migrated { from: version };
        }
        Ok(record)
    }

    /// [`decode`](Self::decode), turning an unusable record into one warning and "no
    /// credentials": the user is signed out, nothing crashes, nothing is deleted.
    pub(crate) fn decode_or_warn(bytes: &[u8], store: &str) -> Option<Self> {
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
#[allow(
    clippy::arithmetic_side_effects,
    reason = "tests compute expected values; clippy.toml exempts tests from the other lints only"
)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn record() -> StoredCredentials {
        StoredCredentials {
            version: CREDENTIALS_FORMAT_VERSION,
            access_token: AccessToken::new("access-secret"),
            refresh_token: RefreshToken::new("refresh-secret"),
            expires_at: Utc.timestamp_opt(1_900_000_000, 0).unwrap(),
            account_id: Some("acct".into()),
            email: Some("ada@example.com".into()),
            plan: Some(PlanType::Plus),
            route: Route::CodexBackend,
            official: None,
            format: RecordFormat::Current,
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
        let mut damaged_old = serde_json::to_value(record()).unwrap();
        damaged_old["version"] = 1.into();
        damaged_old.as_object_mut().unwrap().remove("access_token");
        let mut newer = older.clone();
        newer["version"] = 7.into();
        let mut damaged = serde_json::to_value(record()).unwrap();
        damaged.as_object_mut().unwrap().remove("refresh_token");
        let cases: [(Vec<u8>, UnusableRecord); 7] = [
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
            (
                damaged_old.to_string().into_bytes(),
                UnusableRecord::Damaged,
            ),
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

    /// A JWT of about `len` bytes, shaped like the issuer's (RS256: a 342-character signature).
    fn realistic_jwt(len: usize, seed: char) -> String {
        let header = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjE5MzQ0ZTY1LWJiYzktNDRkMS1hOWQwLWY5NTdiMDc5YmQwZSIsInR5cCI6IkpXVCJ9";
        let signature: String = std::iter::repeat_n('s', 342).collect();
        let payload: String =
            std::iter::repeat_n(seed, len - header.len() - signature.len() - 2).collect();
        format!("{header}.{payload}.{signature}")
    }

    /// A version-1 record, as older versions wrote it (pretty JSON, with the ID token).
    fn version_1_record(access: &str, id: &str) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::json!({
            "version": 1,
            "access_token": access,
            "refresh_token": format!("rt_{}", "R".repeat(86)),
            "id_token": id,
            "expires_at": "2026-12-09T03:20:00Z",
            "account_id": "4f8a3c2e-9b1d-4e7f-a6c5-0d2b8e1f7a93",
            "email": "ada.lovelace@example.com",
            "plan": "plus",
            "user_id": "user-Zq9xW2vKp4LmN8rT5yB3cD6f",
        }))
        .unwrap()
    }

    #[test]
    fn a_record_with_real_sized_tokens_fits_the_windows_credential_store() {
        for access_len in [1500, 1800, 2000] {
            let access = realistic_jwt(access_len, 'a');
            let old = version_1_record(&access, &realistic_jwt(2000, 'i'));
            // What older versions wrote did not fit once the ID token was in it.
            assert!(old.len() > MAX_RECORD_BYTES, "{}", old.len());
            let record = StoredCredentials::decode(&old).unwrap();
            let bytes = record.encode();
            assert!(
                bytes.len() <= MAX_RECORD_BYTES,
                "{access_len}-byte access token: {} bytes",
                bytes.len()
            );
            assert!(!String::from_utf8_lossy(&bytes).contains("id_token"));
        }
    }

    #[test]
    fn an_old_record_with_an_id_token_loads_and_is_marked_for_rewriting() {
        let old = version_1_record("access-secret", "id-secret");
        let record = StoredCredentials::decode(&old).unwrap();
        assert_eq!(record.format, RecordFormat::Migrated { from: 1 });
        assert!(record.needs_rewrite());
        assert_eq!(record.version, CREDENTIALS_FORMAT_VERSION);
        assert_eq!(record.access_token.secret(), "access-secret");
        assert_eq!(record.email.as_deref(), Some("ada.lovelace@example.com"));
        assert_eq!(record.plan, Some(PlanType::Plus));
        let identity = record.to_token_set().identity;
        assert_eq!(
            identity.account_id.as_deref(),
            Some("4f8a3c2e-9b1d-4e7f-a6c5-0d2b8e1f7a93")
        );
        // Written back, it is today's record, read as current.
        let rewritten = StoredCredentials::decode(&record.encode()).unwrap();
        assert_eq!(rewritten.format, RecordFormat::Current);
        assert!(!rewritten.needs_rewrite());
        assert_eq!(
            StoredCredentials {
                format: RecordFormat::Current,
                ..record
            },
            rewritten
        );
    }
}
