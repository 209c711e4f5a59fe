//! A stored record made from the emulator's tokens, as a real sign-in would have stored it.

use emulator::MintedTokens;
use openai_subscribed::credentials::StoredCredentials;
use openai_subscribed::oauth::{TokenResponse, TokenSet};
use openai_subscribed::secret::{AccessToken, IdToken, RefreshToken};

/// The record a Codex-route sign-in with `minted` stores.
pub fn stored_credentials(minted: &MintedTokens) -> StoredCredentials {
    let response = TokenResponse {
        id_token: Some(IdToken::new(minted.id_token.clone())),
        access_token: AccessToken::new(minted.access_token.clone()),
        refresh_token: Some(RefreshToken::new(minted.refresh_token.clone())),
        expires_in: None,
    };
    let tokens = TokenSet::from_response(response, None, chrono::Utc::now())
        .expect("the emulator's tokens make a token set");
    StoredCredentials::from_token_set(&tokens)
}
