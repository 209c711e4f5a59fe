//! The official route's browser sign-in (siwc.md §1.3–§1.6).
//!
//! [`start_official_sign_in`] reads the discovery document and this host's registration, binds
//! the shared loopback callback server on `127.0.0.1` with an **ephemeral port** (path
//! `/auth/callback`), and only then returns the authorize URL, so the browser opens onto a
//! listening port. The returned task then:
//! 1. waits for the callback with this attempt's `state` (the callback server refuses others);
//! 2. `error=access_denied` → plan use declined (§5.1), no exchange; other errors fail;
//! 3. takes the issued `client_id` (a first registration must bring one that is not
//!    `dynamic_agent_client`; a return may omit it, never change it) and **saves it before the
//!    code exchange** (§1.4);
//! 4. exchanges the code with the issued id, the verifier, the same `redirect_uri` and
//!    `resource` (§1.5);
//! 5. verifies the ID token against the JWKS with this attempt's nonce, and the saved `sub`
//!    on a return (§1.6); any defect fails the sign-in and nothing is stored;
//! 6. saves the account (`sub`, email, plan use, the ID token for the next `id_token_hint`)
//!    and yields the token set; the caller stores it.

use super::authorize::{AuthorizeRequest, Client, Consent};
use super::error::{IdTokenDefect, SiwcError};
use super::id_token::{Expected, verify};
use super::issuer::{OfficialIssuer, TokenRequestFailure};
use super::registration::{Registrations, SavedAccount};
use super::session::PlanUse;
use super::token::{Known, OfficialTokenResponse, token_set};
use super::{CALLBACK_PATH, DYNAMIC_CLIENT_ID};
use crate::oauth::OAuthError;
use crate::oauth::TokenSet;
use crate::oauth::callback_server::{
    Callback, CallbackExtras, CallbackOutcome, CallbackServer, CallbackServerOptions,
};
use crate::oauth::html_page::Page;
use crate::oauth::issuer_request::{IssuerAnswer, REQUEST_TIMEOUT};
use crate::oauth::pkce::PkceChallenge;
use crate::oauth::time_limit::within;
use crate::secret::{AuthorizationCode, CsrfState, Nonce, PkceVerifier};
use gpui::{BackgroundExecutor, Task};
use http_client::http::StatusCode;
use url::Url;

/// An official sign-in waiting for the browser.
pub(crate) struct OfficialAttempt {
    /// The page to open. It carries the `state`, the `nonce` and perhaps the `id_token_hint`:
    /// show it, never log it.
    pub authorize_url: Url,
    /// The rest of the flow. Dropping it stops the sign-in and frees the port.
    pub task: Task<Result<TokenSet, OAuthError>>,
}

/// Prepares and starts one attempt (see the module docs).
pub(crate) async fn start_official_sign_in(
    issuer: OfficialIssuer,
    registrations: Registrations,
    executor: BackgroundExecutor,
    options: CallbackServerOptions,
) -> Result<OfficialAttempt, OAuthError> {
    let discovery = within(&executor, REQUEST_TIMEOUT, issuer.discovery())
        .await
        .map_err(|_| {
            SiwcError::Discovery(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))
        })??;
    let registration_error = |error: anyhow::Error| SiwcError::Registration(format!("{error:#}"));
    let host_id = registrations.host_id().map_err(registration_error)?;
    let saved = registrations
        .account(&discovery.issuer)
        .map_err(registration_error)?;

    let app_name = options.app_name.clone();
    let server = CallbackServer::bind(
        CallbackServerOptions {
            ports: vec![0],
            path: CALLBACK_PATH.to_string(),
            ..options
        },
        executor.clone(),
    )?;
    let redirect_uri = server.loopback_ip_redirect_uri();
    let verifier = PkceVerifier::generate();
    let challenge = PkceChallenge::s256(&verifier);
    let state = CsrfState::generate();
    let nonce = Nonce::generate();
    let resource = issuer.resource();
    let client = match &saved {
        Some(account) => Client::Returning {
            client_id: &account.client_id,
            id_token_hint: account.id_token.as_ref(),
            login_hint: account.email.as_deref(),
        },
        None => Client::FirstRegistration,
    };
    let consent = match saved.as_ref().and_then(|account| account.plan_use) {
        Some(PlanUse::NotGranted) => Consent::AskAgain,
        Some(PlanUse::Granted) | None => Consent::AsUsual,
    };
    let authorize_url = AuthorizeRequest {
        endpoint: &discovery.authorization_endpoint,
        client,
        host_id: &host_id,
        redirect_uri: &redirect_uri,
        resource: &resource,
        state: &state,
        nonce: &nonce,
        challenge: &challenge,
        consent,
    }
    .url();

    let attempt = Attempt {
        issuer,
        registrations,
        issuer_id: discovery.issuer.clone(),
        saved,
        redirect_uri,
        resource,
        nonce,
        executor: executor.clone(),
    };
    let task = executor.spawn(async move {
        let Callback {
            outcome,
            extras,
            responder,
        } = server.wait_for_callback(state).await?;
        let result = attempt.complete(outcome, extras, verifier).await;
        responder.respond(result_page(&result, &app_name)).await;
        result
    });
    Ok(OfficialAttempt {
        authorize_url,
        task,
    })
}

/// What one attempt remembers between the authorize URL and the callback.
struct Attempt {
    issuer: OfficialIssuer,
    registrations: Registrations,
    issuer_id: String,
    saved: Option<SavedAccount>,
    redirect_uri: Url,
    resource: String,
    nonce: Nonce,
    executor: BackgroundExecutor,
}

impl Attempt {
    async fn complete(
        self,
        outcome: CallbackOutcome,
        extras: CallbackExtras,
        verifier: PkceVerifier,
    ) -> Result<TokenSet, OAuthError> {
        let code = match outcome {
            CallbackOutcome::Code(code) => code,
            CallbackOutcome::Error { error, .. } if error == "access_denied" => {
                // Nothing to exchange; the next sign-in of this registration asks for consent
                // again, which is how plan use is turned on (§5.1).
                if let Ok(client_id) = self.issued_client_id(&extras) {
                    let declined = match &self.saved {
                        Some(saved) if saved.client_id == client_id => SavedAccount {
                            plan_use: Some(PlanUse::NotGranted),
                            ..saved.clone()
                        },
                        _ => SavedAccount {
                            issuer: self.issuer_id.clone(),
                            client_id,
                            subject: None,
                            email: None,
                            plan_use: Some(PlanUse::NotGranted),
                            id_token: None,
                        },
                    };
                    if let Err(error) = self.save(declined) {
                        log::warn!("{error}");
                    }
                }
                return Err(SiwcError::PlanUseDeclined.into());
            }
            CallbackOutcome::Error { error, description } => {
                return Err(OAuthError::from_callback(&error, description.as_deref()));
            }
        };
        let client_id = self.issued_client_id(&extras)?;
        // The issued id is saved before the code is spent: a failed exchange retries with it
        // instead of registering a second client (§1.4).
        let same_client = self
            .saved
            .as_ref()
            .is_some_and(|saved| saved.client_id == client_id);
        if !same_client {
            self.save(SavedAccount {
                issuer: self.issuer_id.clone(),
                client_id: client_id.clone(),
                subject: None,
                email: None,
                plan_use: None,
                id_token: None,
            })?;
        }
        let response = self.exchange(&client_id, code, verifier).await?;
        let id_token =
            response
                .id_token()
                .cloned()
                .ok_or(SiwcError::IdToken(IdTokenDefect::Malformed(
                    "the answer had no ID token".into(),
                )))?;
        let keys = within(&self.executor, REQUEST_TIMEOUT, self.issuer.jwks())
            .await
            .map_err(|_| {
                SiwcError::Keys(format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))
            })??;
        let saved_subject = self
            .saved
            .as_ref()
            .filter(|_| same_client)
            .and_then(|saved| saved.subject.as_deref());
        let identity = verify(
            &id_token,
            &keys,
            Expected {
                issuer: &self.issuer_id,
                client_id: &client_id,
                nonce: Some(&self.nonce),
                subject: saved_subject,
            },
            chrono::Utc::now().timestamp(),
        )
        .map_err(SiwcError::IdToken)?;
        let plan_use_if_unsaid = extras
            .scope
            .as_deref()
            .map_or(PlanUse::NotGranted, PlanUse::from_scope);
        let tokens = token_set(
            response,
            Known {
                client_id: &client_id,
                identity,
                plan_use_if_unsaid,
                previous: None,
            },
            chrono::Utc::now(),
        )
        .map_err(|reason| OAuthError::issuer(Some(200), None, &reason))?;
        let session = tokens.official.clone();
        if let Err(error) = self.save(SavedAccount {
            issuer: self.issuer_id.clone(),
            client_id,
            subject: session.as_ref().map(|session| session.subject.clone()),
            email: tokens.identity.email.clone(),
            plan_use: session.map(|session| session.plan_use),
            id_token: Some(id_token),
        }) {
            // The sign-in itself worked; only the next one's hints are lost.
            log::warn!("{error}");
        }
        Ok(tokens)
    }

    /// The issued client id this callback stands for (§1.4).
    fn issued_client_id(&self, extras: &CallbackExtras) -> Result<String, SiwcError> {
        let brought = extras
            .client_id
            .as_deref()
            .filter(|id| !id.is_empty() && *id != DYNAMIC_CLIENT_ID);
        match (&self.saved, brought) {
            (None, None) => Err(SiwcError::RegistrationIncomplete),
            (None, Some(issued)) => Ok(issued.to_string()),
            (Some(saved), None) if extras.client_id.is_none() => Ok(saved.client_id.clone()),
            (Some(_), None) => Err(SiwcError::RegistrationIncomplete),
            (Some(saved), Some(issued)) if saved.client_id == issued => Ok(saved.client_id.clone()),
            (Some(_), Some(_)) => Err(SiwcError::ClientMismatch),
        }
    }

    fn save(&self, account: SavedAccount) -> Result<(), SiwcError> {
        self.registrations
            .save_account(account)
            .map_err(|error| SiwcError::Registration(format!("{error:#}")))
    }

    /// The code exchange (§1.5), bounded.
    async fn exchange(
        &self,
        client_id: &str,
        code: AuthorizationCode,
        verifier: PkceVerifier,
    ) -> Result<OfficialTokenResponse, OAuthError> {
        let pairs = [
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("code", code.secret()),
            ("code_verifier", verifier.secret()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("resource", self.resource.as_str()),
        ];
        let answer = within(
            &self.executor,
            REQUEST_TIMEOUT,
            self.issuer.token_request(&pairs),
        )
        .await;
        let answer = match answer {
            Err(_elapsed) => {
                return Err(OAuthError::IssuerUnreachable {
                    url: "the Sign in with ChatGPT token endpoint".into(),
                    reason: format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
                });
            }
            Ok(Err(TokenRequestFailure::Discovery(error))) => return Err(error.into()),
            Ok(Err(TokenRequestFailure::Unreachable(unreachable))) => {
                return Err(unreachable.into());
            }
            Ok(Ok(answer)) => answer,
        };
        if !answer.is_success() {
            return Err(refusal(&answer));
        }
        serde_json::from_slice(&answer.body).map_err(|_| {
            OAuthError::issuer(
                Some(answer.status.as_u16()),
                None,
                "its answer is not a token response",
            )
        })
    }
}

/// A refused exchange: "not eligible" and "preview not enabled" (`invalid_client` at
/// registration, §7) in their own words, anything else as every issuer error.
fn refusal(answer: &IssuerAnswer) -> OAuthError {
    let error = answer.error();
    if let OAuthError::IssuerError {
        code: Some(code), ..
    } = &error
        && (code == "invalid_client" || code.ends_with("user_not_eligible"))
    {
        return SiwcError::NotEligible(code.clone()).into();
    }
    error
}

/// The page the browser shows once the sign-in has ended, in the second person, sending the
/// reader back to `app_name`.
fn result_page(result: &Result<TokenSet, OAuthError>, app_name: &str) -> Page {
    match result {
        Ok(tokens) => {
            let who = tokens
                .identity
                .email
                .as_deref()
                .map(|email| format!(" as {email}"))
                .unwrap_or_default();
            let plan = tokens
                .official
                .as_ref()
                .map(|session| session.plan_use.sentence())
                .unwrap_or_default();
            Page::success(
                "Signed in",
                format!(
                    "You are signed in with ChatGPT{who}. {plan} You can close this tab and \
                     return to {app_name}."
                ),
            )
        }
        Err(error) => {
            let status = match error {
                OAuthError::SignInWithChatGpt(
                    SiwcError::PlanUseDeclined | SiwcError::NotEligible(_),
                ) => StatusCode::FORBIDDEN,
                OAuthError::IssuerError { .. } | OAuthError::IssuerUnreachable { .. } => {
                    StatusCode::BAD_GATEWAY
                }
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            };
            Page::error(
                status,
                "Sign-in failed",
                format!("{error} You can close this tab and return to {app_name}."),
            )
        }
    }
}
