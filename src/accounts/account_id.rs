//! [`AccountId`]: the stable name of one account, derived from who signed in and by which route.

use crate::oauth::TokenSet;
use crate::route::Route;
use serde::{Deserialize, Serialize};

/// An account's id: `codex-<12 hex>` or `siwc-<12 hex>`, the first 12 hex digits of SHA-256 over
/// the route and the account's own ids (the Codex route: the ChatGPT account id and the email,
/// since one workspace holds several users; the official route: the `sub`). Signing in again
/// to the same account gives the same id. Not a secret, and no token goes into it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccountId(String);

impl AccountId {
    /// The id of the account `tokens` belong to.
    pub fn of(tokens: &TokenSet) -> Self {
        let identity = &tokens.identity;
        let (prefix, parts): (&str, [Option<&str>; 2]) = match tokens.route() {
            Route::CodexBackend => (
                "codex",
                [identity.account_id.as_deref(), identity.email.as_deref()],
            ),
            Route::SignInWithChatGpt => (
                "siwc",
                [
                    tokens
                        .official
                        .as_ref()
                        .map(|session| session.subject.as_str())
                        .or(identity.user_id.as_deref()),
                    None,
                ],
            ),
        };
        use sha2::Digest as _;
        let mut digest = sha2::Sha256::new();
        digest.update(prefix.as_bytes());
        for part in parts {
            digest.update([0u8]);
            digest.update(part.unwrap_or_default().as_bytes());
        }
        let short: String = digest
            .finalize()
            .iter()
            .take(6)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        Self(format!("{prefix}-{short}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The id's last six characters, to tell apart accounts with no email.
    pub fn short(&self) -> &str {
        let start = self.0.len().saturating_sub(6);
        self.0.get(start..).unwrap_or(&self.0)
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
