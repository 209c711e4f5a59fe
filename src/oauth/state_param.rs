//! The OAuth `state` parameter (RFC 6749 §10.12): an unguessable value that ties the callback
//! to the sign-in that started it, so that a forged or stale redirect is refused.
//!
//! 32 random bytes from the operating system, base64url without padding (43 characters).

use crate::secret::{CsrfState, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

/// Random bytes behind a state value.
pub(crate) const STATE_BYTES: usize = 32;

impl CsrfState {
    /// A fresh, unguessable state value.
    pub fn generate() -> Self {
        let mut bytes = [0u8; STATE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Whether `candidate` (from a callback's query) is this state. The comparison does not stop
    /// at the first differing byte, so its timing says nothing about how much of a guess was
    /// right.
    pub fn matches(&self, candidate: &str) -> bool {
        let expected = self.secret().as_bytes();
        let candidate = candidate.as_bytes();
        expected.len() == candidate.len()
            && expected
                .iter()
                .zip(candidate)
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

impl Nonce {
    /// A fresh, unguessable OpenID Connect nonce, drawn like the `state`.
    pub fn generate() -> Self {
        let mut bytes = [0u8; STATE_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(URL_SAFE_NO_PAD.encode(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn states_are_base64url_and_never_repeat() {
        let drawn: HashSet<String> = (0..10_000)
            .map(|_| CsrfState::generate().into_secret())
            .collect();
        assert_eq!(drawn.len(), 10_000);
        for value in drawn.iter().take(100) {
            assert_eq!(value.len(), 43);
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
        }
    }

    #[test]
    fn matches_only_the_exact_value() {
        let state = CsrfState::new("abc");
        assert!(state.matches("abc"));
        for other in ["", "ab", "abd", "abcd", "ABC"] {
            assert!(!state.matches(other), "{other}");
        }
    }
}
