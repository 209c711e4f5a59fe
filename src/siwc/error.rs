//! [`SiwcError`]: how the official route's sign-in fails, in words the user can act on.
//!
//! No variant holds a secret: ID-token defects are named, never quoted; the issuer's answers are
//! reduced to codes and printable messages.

use std::fmt;

/// Why an ID token was refused (siwc.md §1.6). Nothing from the refused sign-in is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdTokenDefect {
    /// Its signature does not verify with the issuer's published keys.
    Signature,
    /// Signed with a key the issuer does not publish.
    UnknownKey,
    /// `iss` is not the issuer.
    Issuer,
    /// `aud` (or `azp`) is not this app's issued client id.
    Audience,
    /// `nonce` is not the one this sign-in sent.
    Nonce,
    /// `exp` has passed.
    Expired,
    /// `iat` lies in the future (beyond the allowed clock skew).
    IssuedInFuture,
    /// `sub` is not the user this account was signed in as.
    DifferentUser,
    /// Missing, or not a readable RS256 JWT (what was wrong, never the token).
    Malformed(String),
}

impl fmt::Display for IdTokenDefect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Signature => f.write_str("its signature does not match the issuer's keys"),
            Self::UnknownKey => f.write_str("it is signed with a key the issuer does not publish"),
            Self::Issuer => f.write_str("it was issued by another server than the sign-in server"),
            Self::Audience => f.write_str("it was issued to another app than this one"),
            Self::Nonce => f.write_str("it does not belong to this sign-in (its nonce differs)"),
            Self::Expired => f.write_str("it has already expired"),
            Self::IssuedInFuture => f.write_str("it claims to be issued in the future"),
            Self::DifferentUser => f.write_str(
                "it names a different ChatGPT user than the account being signed in again",
            ),
            Self::Malformed(what) => write!(f, "it is not a valid ID token ({what})"),
        }
    }
}

/// A failure of the official route's sign-in, ready to show.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SiwcError {
    /// The issuer's OpenID configuration could not be fetched or read.
    #[error(
        "Could not read the Sign in with ChatGPT server's configuration ({0}). Check the network \
         connection and the sign-in URL, then try again."
    )]
    Discovery(String),
    /// The configuration names another issuer than the configured one.
    #[error(
        "The Sign in with ChatGPT server calls itself {found}, not {expected}; it is not trusted. \
         Check the configured sign-in URL."
    )]
    IssuerMismatch {
        /// The configured issuer.
        expected: String,
        /// What the discovery document said.
        found: String,
    },
    /// The issuer's signing keys could not be fetched or read.
    #[error(
        "Could not read the sign-in server's signing keys ({0}), so the sign-in cannot be \
         checked; nothing was stored. Try again in a few minutes."
    )]
    Keys(String),
    /// The ID token failed verification.
    #[error(
        "The sign-in was refused because its ID token cannot be trusted: {0}. Nothing was stored; \
         start the sign-in again."
    )]
    IdToken(IdTokenDefect),
    /// A first registration came back without an issued client id.
    #[error(
        "ChatGPT did not finish registering this app (its answer carried no client id). Nothing \
         was stored; start the sign-in again."
    )]
    RegistrationIncomplete,
    /// The callback named another client id than the one saved for this account.
    #[error(
        "The sign-in answer named another app registration than the one saved for this account; \
         it was refused and the saved registration kept. Start the sign-in again."
    )]
    ClientMismatch,
    /// The user declined plan use on the consent page (`error=access_denied`).
    #[error(
        "Using your ChatGPT plan in this app was not allowed on the consent page, so nothing was \
         signed in. To turn it on, sign in again and allow \"Use your ChatGPT plan\"."
    )]
    PlanUseDeclined,
    /// The account or the app cannot use this route (§5.3 `user_not_eligible`, or the preview
    /// not enabled: `invalid_client` at registration, §7).
    #[error(
        "This ChatGPT account cannot use its plan through Sign in with ChatGPT ({0}): the route \
         serves Plus and Pro plans, in a preview."
    )]
    NotEligible(String),
    /// The host's sign-in flows do not offer this route (a host that replaced them).
    #[error("Sign in with ChatGPT is not offered here; use the Codex route's sign-in instead.")]
    NotOffered,
    /// The registration file could not be read or written.
    #[error(
        "Could not save this app's ChatGPT registration ({0}). Check that the configuration directory is writable, then try again."
    )]
    Registration(String),
}

impl SiwcError {
    /// Whether the official route refused the account or the app as such (not a passing fault):
    /// the Codex route may still serve it.
    pub fn is_not_eligible(&self) -> bool {
        matches!(self, Self::NotEligible(_))
    }
}
