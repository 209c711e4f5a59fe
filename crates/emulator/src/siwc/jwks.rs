//! The official issuer's signing key and the JWKS document that publishes its public half
//! (siwc.md §1.1 "JWKS", §1.6 step 1, §9.1 `GET /.well-known/jwks.json`).
//!
//! The key is an RSA 2048 key made for this emulator with `openssl genpkey` (the PKCS#8 PEM
//! beside this file); it protects nothing, since whoever runs the emulator is both issuer and
//! client. ID tokens (and, for realism, access tokens) are signed RS256 with `kid` [`KEY_ID`], so
//! a client verifies them exactly as it verifies the real issuer's: fetch the JWKS, pick the key
//! by `kid`, check the signature.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::{Value, json};

/// The key id in every token header and in the JWKS (siwc.md §9.1).
pub const KEY_ID: &str = "fake-1";

/// The emulator's RSA private key (PKCS#8), made for it; never a real issuer's key.
const SIGNING_KEY_PEM: &str = include_str!("signing_key.pem");

/// The RS256 signing key. Its `Debug` shows the key id only.
pub struct SigningKey {
    pair: RsaKeyPair,
    modulus: Vec<u8>,
    exponent: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &KEY_ID)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Loads the bundled key.
    pub fn load() -> anyhow::Result<Self> {
        let pem = pem::parse(SIGNING_KEY_PEM)?;
        let pair = RsaKeyPair::from_pkcs8(pem.contents())
            .map_err(|error| anyhow::anyhow!("the emulator's signing key is unusable: {error}"))?;
        let components = ring::rsa::PublicKeyComponents::<Vec<u8>>::from(
            ring::signature::KeyPair::public_key(&pair),
        );
        Ok(Self {
            pair,
            modulus: components.n,
            exponent: components.e,
        })
    }

    /// A compact JWS (RFC 7515 §7.1) of `claims`, signed RS256 under [`KEY_ID`].
    pub fn sign(&self, claims: &Value) -> String {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": KEY_ID});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.pair.public().modulus_len()];
        // PKCS#1 v1.5 signing is deterministic; it fails only for a wrong-sized buffer.
        if self
            .pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .is_err()
        {
            log::error!("emulator: could not sign a token");
        }
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The JWKS document (RFC 7517 §5) with this key's public half.
    pub fn jwks(&self) -> Value {
        json!({"keys": [{
            "kty": "RSA",
            "kid": KEY_ID,
            "alg": "RS256",
            "use": "sig",
            "n": URL_SAFE_NO_PAD.encode(&self.modulus),
            "e": URL_SAFE_NO_PAD.encode(&self.exponent),
        }]})
    }
}

/// `token` with its signature spoiled (the `IdTokenBadSignature` fault): the last signature
/// byte flipped, so the token still parses but no longer verifies.
pub fn spoil_signature(token: &str) -> String {
    let Some((signing_input, signature)) = token.rsplit_once('.') else {
        return token.to_string();
    };
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap_or_default();
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_loads_and_publishes_an_rsa_2048_public_key() {
        let key = SigningKey::load().unwrap();
        let jwks = key.jwks();
        let n = URL_SAFE_NO_PAD
            .decode(jwks["keys"][0]["n"].as_str().unwrap())
            .unwrap();
        assert_eq!(n.len(), 256);
        assert_eq!(jwks["keys"][0]["e"], "AQAB");
        let token = key.sign(&json!({"sub": "x"}));
        assert_eq!(token.split('.').count(), 3);
        assert_ne!(spoil_signature(&token), token);
        assert!(!format!("{key:?}").contains(&jwks["keys"][0]["n"].to_string()));
    }
}
