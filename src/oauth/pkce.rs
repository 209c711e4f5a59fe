//! PKCE (RFC 7636): the code verifier and its S256 challenge.
//!
//! The verifier is 64 random bytes from the operating system, base64url without padding: 86
//! characters, inside the 43..=128 that RFC 7636 §4.1 allows, drawn from its unreserved alphabet.
//! The challenge is `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2, method `S256`). The
//! verifier is a [`PkceVerifier`]: redacted in `Debug`, not `Clone`, moved into the one code
//! exchange that uses it.

use crate::secret::PkceVerifier;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// Random bytes behind a verifier: 64 bytes encode to 86 base64url characters.
pub(crate) const VERIFIER_BYTES: usize = 64;

/// The only challenge method this crate sends (RFC 7636 §4.2: `plain` is for clients that
/// cannot hash).
pub(crate) const CHALLENGE_METHOD: &str = "S256";

impl PkceVerifier {
    /// A fresh verifier from the operating system's random source (RFC 7636 §4.1, §7.1: it must
    /// be unguessable).
    pub fn generate() -> Self {
        let mut bytes = [0u8; VERIFIER_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self::new(URL_SAFE_NO_PAD.encode(bytes))
    }
}

/// The S256 code challenge sent with the authorize request. Not a secret: it is a one-way hash
/// of the verifier and travels in the browser's address bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkceChallenge(String);

impl PkceChallenge {
    /// `BASE64URL(SHA256(ASCII(verifier)))` (RFC 7636 §4.2).
    pub(crate) fn s256(verifier: &PkceVerifier) -> Self {
        Self(URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.secret().as_bytes())))
    }

    /// The challenge as sent in the `code_challenge` parameter.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `code_challenge_method` parameter: always `S256`.
    pub fn method(&self) -> &'static str {
        CHALLENGE_METHOD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b_known_answer() {
        // RFC 7636 Appendix B: the verifier and the challenge it must hash to.
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            PkceChallenge::s256(&verifier).as_str(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifiers_have_the_rfc_length_and_alphabet() {
        for _ in 0..200 {
            let verifier = PkceVerifier::generate();
            let value = verifier.secret();
            assert_eq!(value.len(), 86);
            assert!(
                value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
                "not base64url without padding"
            );
            let challenge = PkceChallenge::s256(&verifier);
            assert_eq!(challenge.as_str().len(), 43);
            assert_eq!(challenge.method(), "S256");
        }
    }

    #[test]
    fn verifiers_do_not_repeat() {
        let drawn: std::collections::HashSet<String> = (0..2000)
            .map(|_| PkceVerifier::generate().into_secret())
            .collect();
        assert_eq!(drawn.len(), 2000);
    }
}
