//! Secret values as types, not strings.
//!
//! Every token, the PKCE verifier, the OAuth `state` and the authorization code is wrapped in a
//! newtype whose `Debug` prints `Name([redacted])`, that has no `Display`, and that hands out its
//! value only through an explicitly named [`secret`](AccessToken::secret) method. A secret can
//! therefore never reach a log line or an error message by accident: a `{:?}` of any struct that
//! holds one stays clean. (The pattern follows oauth2-rs's `src/types.rs`.)
//!
//! The PKCE verifier ([`PkceVerifier`]) and the authorization code ([`AuthorizationCode`]) are
//! deliberately not `Clone`: each is good for one exchange (RFC 7636 §4.1, RFC 6749 §4.1.2), and
//! the type system makes reuse impossible.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What every secret prints as in `Debug` output.
pub(crate) const REDACTED: &str = "[redacted]";

macro_rules! secret_type {
    ($(#[$meta:meta])* $name:ident $(, derive($($derive:ident),*))?) => {
        $(#[$meta])*
        $(#[derive($($derive),*)])?
        pub struct $name(String);

        impl $name {
            /// Wraps a secret value.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The secret value itself. Call this only where the value is put on the wire or
            /// into the credential store, never to print it.
            pub fn secret(&self) -> &str {
                &self.0
            }

            /// Unwraps the secret value, consuming the wrapper.
            pub fn into_secret(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), REDACTED)
            }
        }
    };
}

secret_type!(
    /// An OAuth 2.0 access token (RFC 6749 §1.4): a JWT the backend accepts as `Bearer`.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    AccessToken, derive(Clone, PartialEq, Eq)
);
secret_type!(
    /// An OAuth 2.0 refresh token (RFC 6749 §1.5). The issuer rotates it: each one is good for a
    /// single refresh.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    RefreshToken, derive(Clone, PartialEq, Eq)
);
secret_type!(
    /// An OpenID Connect ID token (OpenID Connect Core §2): a JWT that names the user and plan.
    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    IdToken, derive(Clone, PartialEq, Eq)
);
secret_type!(
    /// An authorization code from the issuer's redirect (RFC 6749 §4.1.2). Single use, so not
    /// `Clone`.
    AuthorizationCode
);
secret_type!(
    /// A PKCE code verifier (RFC 7636 §4.1). Not `Clone`: it is sent once, in the code exchange.
    PkceVerifier
);
secret_type!(
    /// The OpenID Connect `nonce` of one official-route sign-in (OpenID Connect Core §3.1.2.1):
    /// the ID token must carry it back.
    Nonce, derive(PartialEq, Eq)
);
secret_type!(
    /// The OAuth `state` parameter (RFC 6749 §10.12), which binds the callback to this sign-in.
    CsrfState, derive(PartialEq, Eq)
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_the_value() {
        let value = "eyJhbGciOiJub25lIn0.c2VjcmV0.sig";
        let printed = [
            format!("{:?}", AccessToken::new(value)),
            format!("{:?}", RefreshToken::new(value)),
            format!("{:?}", IdToken::new(value)),
            format!("{:?}", AuthorizationCode::new(value)),
            format!("{:?}", PkceVerifier::new(value)),
            format!("{:?}", CsrfState::new(value)),
            format!("{:?}", Nonce::new(value)),
            format!("{:#?}", Some(AccessToken::new(value))),
        ];
        for line in printed {
            assert!(!line.contains(value), "{line}");
            assert!(line.contains(REDACTED), "{line}");
        }
    }

    #[test]
    fn tokens_serialize_as_plain_strings_for_the_store() {
        let json = serde_json::to_string(&AccessToken::new("abc")).unwrap();
        assert_eq!(json, "\"abc\"");
        let back: RefreshToken = serde_json::from_str("\"xyz\"").unwrap();
        assert_eq!(back.secret(), "xyz");
    }
}
