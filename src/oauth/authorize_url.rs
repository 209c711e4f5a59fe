//! The authorization request URL (RFC 6749 §4.1.1 with the PKCE parameters of RFC 7636 §4.3).
//!
//! Built with the `url` crate so that every value is percent-encoded the way the issuer expects,
//! with the parameters in the order the Codex CLI sends them (see the backend spec, section 1).

use super::pkce::PkceChallenge;
use crate::config::Config;
use crate::secret::{CsrfState, REDACTED};
use url::Url;

/// The scopes asked for: OpenID Connect identity plus `offline_access`, which earns the refresh
/// token.
pub(crate) const SCOPE: &str = "openid profile email offline_access";

/// `{issuer}/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&scope=…&code_challenge=…
/// &code_challenge_method=S256&id_token_add_organizations=true&codex_cli_simplified_flow=true
/// &state=…&originator=…`.
pub fn authorize_url(
    config: &Config,
    redirect_uri: &Url,
    challenge: &PkceChallenge,
    state: &CsrfState,
) -> Url {
    let mut url = config.authorize_url();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &config.client_id)
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("scope", SCOPE)
        .append_pair("code_challenge", challenge.as_str())
        .append_pair("code_challenge_method", challenge.method())
        // Ask for the organizations claim in the ID token, and the Codex-specific short consent.
        .append_pair("id_token_add_organizations", "true")
        .append_pair("codex_cli_simplified_flow", "true")
        .append_pair("state", state.secret())
        .append_pair("originator", &config.originator);
    url
}

/// The URL with its `state` value replaced by `[redacted]`, for `Debug` output. (The URL itself
/// must be shown to the user, who opens it; it just never goes into a log line.)
pub(crate) fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(key, value)| {
            let value = if key == "state" {
                REDACTED.to_string()
            } else {
                value.into_owned()
            };
            (key.into_owned(), value)
        })
        .collect();
    if !pairs.is_empty() {
        shown.query_pairs_mut().clear().extend_pairs(pairs);
    }
    shown.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::PkceVerifier;

    #[test]
    fn has_every_parameter_in_order_and_encoded() {
        let config = Config::default();
        let redirect = Url::parse("http://localhost:1455/auth/callback").unwrap();
        let verifier = PkceVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let challenge = PkceChallenge::s256(&verifier);
        let state = CsrfState::new("st+ate/=");
        let url = authorize_url(&config, &redirect, &challenge, &state);

        assert_eq!(
            url.origin().ascii_serialization(),
            "https://auth.openai.com"
        );
        assert_eq!(url.path(), "/oauth/authorize");
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(
            keys,
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "code_challenge",
                "code_challenge_method",
                "id_token_add_organizations",
                "codex_cli_simplified_flow",
                "state",
                "originator"
            ]
        );
        let query = url.query().unwrap();
        assert!(query.contains("redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback"));
        assert!(query.contains("scope=openid+profile+email+offline_access"));
        assert!(query.contains("state=st%2Bate%2F%3D"));
        assert!(query.contains("code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"));
        assert!(query.contains(&format!("client_id={}", crate::config::CLIENT_ID)));

        let shown = redacted(&url);
        assert!(!shown.contains("st%2Bate"), "{shown}");
        assert!(shown.contains("state=%5Bredacted%5D"), "{shown}");
        assert!(shown.contains("code_challenge=E9Melhoa"), "{shown}");
    }
}
