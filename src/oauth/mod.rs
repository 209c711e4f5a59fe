//! Signing in with ChatGPT: OAuth 2.0 authorization code + PKCE (RFC 6749, RFC 7636) with a
//! loopback callback, and the device-code flow for SSH and busy ports.
//!
//! This module depends on neither the provider nor the UI: it returns results ([`TokenSet`]),
//! and the caller stores them.

pub mod jwt_claims;
pub mod tokens;

pub use jwt_claims::{IdentityClaims, InvalidJwt, PlanType};
pub use tokens::{TokenResponse, TokenSet};
