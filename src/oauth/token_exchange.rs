//! The authorization-code exchange (RFC 6749 §4.1.3 with the PKCE verifier of RFC 7636 §4.5).
//!
//! `POST {issuer}/oauth/token` with a form body, sent like every issuer request
//! (`oauth::issuer_request`): `grant_type`, `code`,
//! `redirect_uri`, `client_id`, `code_verifier`. The code and the verifier are moved in, since
//! each is good for one exchange. The answer becomes a checked [`TokenSet`]: it must carry a
//! refresh token (without one the sign-in would not outlive the access token), and its JWTs must
//! be readable.

use super::error::OAuthError;
use super::issuer_request::{RequestBody, post};
use super::tokens::{TokenResponse, TokenSet};
use crate::config::Config;
use crate::secret::{AuthorizationCode, PkceVerifier};
use gpui::BackgroundExecutor;
use http_client::HttpClient;
use url::Url;

/// Exchanges `code` for tokens. `redirect_uri` must be the one the code was issued for (the
/// loopback URI, or the issuer's device callback).
pub async fn exchange_code(
    http: &dyn HttpClient,
    executor: &BackgroundExecutor,
    config: &Config,
    code: AuthorizationCode,
    verifier: PkceVerifier,
    redirect_uri: &Url,
) -> Result<TokenSet, OAuthError> {
    let form = RequestBody::form(&[
        ("grant_type", "authorization_code"),
        ("code", code.secret()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", config.client_id.as_str()),
        ("code_verifier", verifier.secret()),
    ]);
    let answer = post(http, executor, config, &config.token_url(), form).await?;
    if !answer.is_success() {
        return Err(answer.error());
    }
    let response: TokenResponse = answer.json()?;
    if response
        .refresh_token
        .as_ref()
        .is_none_or(|token| token.secret().is_empty())
    {
        return Err(OAuthError::issuer(
            Some(answer.status.as_u16()),
            None,
            "the answer had no refresh token",
        ));
    }
    Ok(TokenSet::from_response(response, None, chrono::Utc::now())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::AsyncReadExt as _;
    use http_client::{AsyncBody, FakeHttpClient, Response};
    use parking_lot::Mutex;
    use std::sync::Arc;

    fn jwt(payload: serde_json::Value) -> String {
        use base64::Engine as _;
        let encode = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        format!(
            "{}.{}.sig",
            encode(br#"{"alg":"none"}"#),
            encode(payload.to_string().as_bytes())
        )
    }

    #[gpui::test]
    async fn sends_a_form_and_reads_the_tokens(cx: &mut gpui::TestAppContext) {
        let seen = Arc::new(Mutex::new(None::<(String, String)>));
        let access = jwt(serde_json::json!({
            "exp": 1_900_000_000,
            "https://api.openai.com/auth": {"chatgpt_account_id": "acct", "chatgpt_plan_type": "pro"}
        }));
        let id = jwt(serde_json::json!({"email": "ada@example.com"}));
        let http = FakeHttpClient::create({
            let seen = seen.clone();
            let body =
                serde_json::json!({"id_token": id, "access_token": access, "refresh_token": "r1"})
                    .to_string();
            move |mut request| {
                let seen = seen.clone();
                let body = body.clone();
                async move {
                    let content_type = request.headers()["content-type"].to_str()?.to_string();
                    let mut sent = String::new();
                    request.body_mut().read_to_string(&mut sent).await?;
                    *seen.lock() = Some((content_type, sent));
                    Ok(Response::builder()
                        .status(200)
                        .body(AsyncBody::from(body))?)
                }
            }
        });
        let config = Config::default();
        let redirect = Url::parse("http://localhost:1455/auth/callback").unwrap();
        let tokens = exchange_code(
            http.as_ref(),
            &cx.executor(),
            &config,
            AuthorizationCode::new("the code"),
            PkceVerifier::new("the-verifier"),
            &redirect,
        )
        .await
        .unwrap();
        assert_eq!(tokens.identity.email.as_deref(), Some("ada@example.com"));
        assert_eq!(tokens.identity.account_id.as_deref(), Some("acct"));
        assert_eq!(tokens.refresh_token.secret(), "r1");

        let (content_type, body) = seen.lock().take().unwrap();
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            body,
            format!(
                "grant_type=authorization_code&code=the+code\
                 &redirect_uri=http%3A%2F%2Flocalhost%3A1455%2Fauth%2Fcallback\
                 &client_id={}&code_verifier=the-verifier",
                config.client_id
            )
        );
    }

    #[gpui::test]
    async fn refuses_answers_without_a_refresh_token_or_with_bad_jwts(
        cx: &mut gpui::TestAppContext,
    ) {
        for body in [
            serde_json::json!({"id_token": "a.b.c", "access_token": "x"}),
            serde_json::json!({"id_token": "not a jwt", "access_token": "x", "refresh_token": "r"}),
        ] {
            let http = FakeHttpClient::create(move |_| {
                let body = body.to_string();
                async move {
                    Ok(Response::builder()
                        .status(200)
                        .body(AsyncBody::from(body))?)
                }
            });
            let result = exchange_code(
                http.as_ref(),
                &cx.executor(),
                &Config::default(),
                AuthorizationCode::new("c"),
                PkceVerifier::new("v"),
                &Url::parse("http://localhost:1455/auth/callback").unwrap(),
            )
            .await;
            assert!(
                matches!(
                    result,
                    Err(OAuthError::IssuerError { .. } | OAuthError::InvalidToken(_))
                ),
                "{result:?}"
            );
        }
    }
}
