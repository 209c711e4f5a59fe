//! The official route's authorization request (siwc.md §1.3), every value URL-encoded by the
//! `url` crate.
//!
//! First registration: `client_id=dynamic_agent_client` and `agent_name_hint`. Re-authorization
//! of a saved account: its issued client id, no `agent_name_hint`, and `id_token_hint` /
//! `login_hint` when known. Both: `ext_agent_host_id`, the loopback `redirect_uri`, the complete
//! scope set, `resource`, a fresh `state` and `nonce`, PKCE S256. `prompt=consent` only when the
//! account's last sign-in did not grant plan use, so that signing in again is how plan use is
//! turned back on (§5.1).

use super::{AGENT_NAME, DYNAMIC_CLIENT_ID, SCOPES};
use crate::oauth::pkce::PkceChallenge;
use crate::secret::{CsrfState, IdToken, Nonce};
use url::Url;

/// Which client the request is for.
#[derive(Clone, Debug)]
pub(crate) enum Client<'a> {
    /// A first registration, under the app's name.
    FirstRegistration,
    /// A saved account's issued client id, with the hints known for it.
    Returning {
        client_id: &'a str,
        id_token_hint: Option<&'a IdToken>,
        login_hint: Option<&'a str>,
    },
}

/// Whether to ask for consent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Consent {
    /// The issuer decides (never forced on ordinary sign-ins).
    AsUsual,
    /// `prompt=consent`: the user is turning plan use back on.
    AskAgain,
}

/// One attempt's parameters.
pub(crate) struct AuthorizeRequest<'a> {
    pub endpoint: &'a Url,
    pub client: Client<'a>,
    pub host_id: &'a str,
    pub redirect_uri: &'a Url,
    pub resource: &'a str,
    pub state: &'a CsrfState,
    pub nonce: &'a Nonce,
    pub challenge: &'a PkceChallenge,
    pub consent: Consent,
}

impl AuthorizeRequest<'_> {
    /// The URL to open in the browser. It carries the `state`, the `nonce` and perhaps the
    /// `id_token_hint`: show it to the user, never log it.
    pub fn url(&self) -> Url {
        let mut url = self.endpoint.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("response_type", "code");
            match &self.client {
                Client::FirstRegistration => {
                    query.append_pair("client_id", DYNAMIC_CLIENT_ID);
                    query.append_pair("agent_name_hint", AGENT_NAME);
                }
                Client::Returning { client_id, .. } => {
                    query.append_pair("client_id", client_id);
                }
            }
            query
                .append_pair("ext_agent_host_id", self.host_id)
                .append_pair("redirect_uri", self.redirect_uri.as_str())
                .append_pair("scope", SCOPES)
                .append_pair("resource", self.resource)
                .append_pair("state", self.state.secret())
                .append_pair("nonce", self.nonce.secret())
                .append_pair("code_challenge", self.challenge.as_str())
                .append_pair("code_challenge_method", self.challenge.method());
            if let Client::Returning {
                id_token_hint,
                login_hint,
                ..
            } = &self.client
            {
                if let Some(hint) = id_token_hint {
                    query.append_pair("id_token_hint", hint.secret());
                }
                if let Some(hint) = login_hint {
                    query.append_pair("login_hint", hint);
                }
            }
            if self.consent == Consent::AskAgain {
                query.append_pair("prompt", "consent");
            }
        }
        url
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::PkceVerifier;
    use std::collections::HashMap;

    fn pairs(url: &Url) -> HashMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn first_registration_and_return_differ_only_where_the_spec_says() {
        let endpoint = Url::parse("https://auth.openai.com/api/accounts/authorize").unwrap();
        let redirect = Url::parse("http://127.0.0.1:54321/auth/callback").unwrap();
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let challenge = PkceChallenge::s256(&verifier);
        let (state, nonce) = (CsrfState::new("st"), Nonce::new("no"));
        let id_token = IdToken::new("id.token.hint");
        let request = |client| AuthorizeRequest {
            endpoint: &endpoint,
            client,
            host_id: "urn:uuid:7c1e0f0a-3b1c-4c5d-9e8f-0a1b2c3d4e5f",
            redirect_uri: &redirect,
            resource: "https://api.openai.com/v1",
            state: &state,
            nonce: &nonce,
            challenge: &challenge,
            consent: Consent::AsUsual,
        };
        let first = pairs(&request(Client::FirstRegistration).url());
        assert_eq!(first["client_id"], "dynamic_agent_client");
        assert_eq!(first["agent_name_hint"], "Zed");
        assert_eq!(
            first["redirect_uri"],
            "http://127.0.0.1:54321/auth/callback"
        );
        assert_eq!(first["scope"], SCOPES);
        assert_eq!(first["resource"], "https://api.openai.com/v1");
        assert_eq!(first["code_challenge_method"], "S256");
        assert_eq!(
            first["code_challenge"],
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(first["state"], "st");
        assert_eq!(first["nonce"], "no");
        assert!(!first.contains_key("id_token_hint") && !first.contains_key("prompt"));

        let mut returning = request(Client::Returning {
            client_id: "oaiapp_7",
            id_token_hint: Some(&id_token),
            login_hint: Some("ada@example.com"),
        });
        returning.consent = Consent::AskAgain;
        let again = pairs(&returning.url());
        assert_eq!(again["client_id"], "oaiapp_7");
        assert!(!again.contains_key("agent_name_hint"));
        assert_eq!(again["ext_agent_host_id"], first["ext_agent_host_id"]);
        assert_eq!(again["id_token_hint"], "id.token.hint");
        assert_eq!(again["login_hint"], "ada@example.com");
        assert_eq!(again["prompt"], "consent");
    }
}
