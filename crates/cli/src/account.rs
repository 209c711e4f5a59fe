//! `login`, `logout` and `status`.

use super::args::{LoginArgs, RouteArg};
use super::context::CommandContext;
use super::output::{errln, outln};
use super::spinner::Spinner;
use super::wait::{sign_in_outcome, wait_for};
use anyhow::{Result, anyhow};
use gpui::AsyncApp;
use openai_subscribed::auth::revoke::Revocation;
use openai_subscribed::auth::{AuthError, AuthState, SignInMethod, SignInProgress};
use openai_subscribed::oauth::{BrowserAvailability, OAuthError};
use openai_subscribed::printable::one_line;
use openai_subscribed::provider::{OpenAiSubscribedProvider, UrlOpener};
use openai_subscribed::route::Route;
use std::rc::Rc;

/// "ada@example.com (Plus)", from the signed-in identity.
fn who(provider: &OpenAiSubscribedProvider, cx: &mut AsyncApp) -> Result<Option<String>> {
    provider.state().read_with(cx, |state, cx| {
        let auth = state.auth().read(cx);
        let route = auth.route();
        auth.account().map(|identity| {
            let email = identity
                .email
                .clone()
                .unwrap_or_else(|| "your ChatGPT account".into());
            match (&identity.plan, route) {
                (Some(plan), _) => format!("{email} ({plan})"),
                (None, Some(Route::SignInWithChatGpt)) => {
                    format!("{email} ({})", Route::SignInWithChatGpt.label())
                }
                (None, _) => email,
            }
        })
    })
}

/// Which sign-in `login` runs: Sign in with ChatGPT unless the Codex route is asked for (or the
/// device code, which only the Codex route has).
fn sign_in_method(args: &LoginArgs) -> Result<SignInMethod> {
    Ok(match (args.route, args.device) {
        (Some(RouteArg::Siwc), true) => anyhow::bail!(
            "the device-code sign-in exists only on the Codex route: run `openai-subscribed \
             login --route codex --device`"
        ),
        (_, true) => SignInMethod::DeviceCode,
        (Some(RouteArg::Codex), false) => SignInMethod::Browser,
        (None | Some(RouteArg::Siwc), false) => SignInMethod::SignInWithChatGpt,
    })
}

/// How `login` offers the browser sign-in's page: printed alone on stdout when asked
/// (`--no-browser`) or when no browser can work here (said first, in one line, with the device
/// code offered), else opened in the browser, and printed once, plainly, if that fails.
fn browser_opener(no_browser: bool, availability: BrowserAvailability) -> UrlOpener {
    let print_url = UrlOpener::Custom(Rc::new(|url, _| outln!("{url}")));
    if no_browser {
        // The URL alone on one line of stdout, for scripts and remote shells.
        return print_url;
    }
    if let Some(explanation) = availability.explanation("`openai-subscribed login --device`") {
        errln!("{explanation}");
        errln!("Or open this page in a browser that can reach this machine:");
        return print_url;
    }
    UrlOpener::Custom(Rc::new(|url, _| {
        if let Err(error) = open::that_detached(url.as_str()) {
            // The launcher's error repeats the whole URL: only its kind goes to the log.
            log::debug!("the browser launcher failed: {:?}", error.kind());
            errln!(
                "Could not open a browser. Open this page to sign in (or run \
                 `openai-subscribed login --device`):\n{url}"
            );
        }
    }))
}

/// `login [--route siwc|codex] [--no-browser] [--device]`.
pub async fn login(context: CommandContext, args: LoginArgs, cx: &mut AsyncApp) -> Result<()> {
    let opener = if args.device {
        UrlOpener::System
    } else {
        browser_opener(args.no_browser, BrowserAvailability::here())
    };
    let method = sign_in_method(&args)?;
    let (provider, _) = context.loaded_provider(opener, cx).await?;
    // Signed in already: this sign-in adds another account beside it (the same account signed
    // in again replaces its older sign-in).
    if let Some(who) = who(&provider, cx)? {
        let can_add = provider
            .state()
            .read_with(cx, |state, _| state.can_add_account())?;
        if !can_add {
            outln!(
                "Already signed in as {who}. This credential store keeps one account: run                  `openai-subscribed logout` first to switch accounts."
            );
            return Ok(());
        }
        errln!("Signed in as {who}; adding another account.");
    }

    provider
        .state()
        .update(cx, |state, cx| state.add_account(method, cx))?;

    let mut spinner = Spinner::new("Waiting for you to approve the sign-in (Ctrl-C to cancel)…");
    let mut shown_code = false;
    let auth = provider
        .state()
        .read_with(cx, |state, _| state.auth().clone())?;
    let outcome = wait_for(
        &auth,
        cx,
        |auth, _| match auth.auth_state() {
            AuthState::SigningIn {
                progress:
                    SignInProgress::WaitingForDeviceCode {
                        verification_url,
                        user_code,
                    },
                ..
            } if !shown_code => {
                shown_code = true;
                errln!(
                    "\rTo sign in, visit {verification_url} on any device and enter the code:\n\n    {}\n",
                    one_line(user_code, 64)
                );
                None
            }
            _ => sign_in_outcome(auth),
        },
        || spinner.tick(),
    )
    .await?;
    spinner.clear();
    if let Err(error) = outcome {
        let not_eligible = auth.read_with(cx, |auth, _| {
            matches!(
                auth.last_error(),
                Some(AuthError::SignIn(OAuthError::SignInWithChatGpt(error)))
                    if error.is_not_eligible()
            )
        })?;
        if not_eligible {
            return Err(anyhow!(
                "{error} The Codex route may still serve it: run `openai-subscribed login \
                 --route codex`."
            ));
        }
        return Err(error);
    }
    let who = who(&provider, cx)?.unwrap_or_else(|| "your ChatGPT account".into());
    outln!("Signed in as {who}");
    let saved = provider
        .state()
        .update(cx, |state, _| state.accounts_saved())?;
    saved.await;
    let plan_use = auth.read_with(cx, |auth, _| auth.plan_use())?;
    if let Some(plan_use @ openai_subscribed::siwc::PlanUse::NotGranted) = plan_use {
        outln!("{}", plan_use.sentence());
    }
    Ok(())
}

/// `logout`.
pub async fn logout(context: CommandContext, cx: &mut AsyncApp) -> Result<()> {
    let (provider, _) = context.loaded_provider(UrlOpener::System, cx).await?;
    let was = who(&provider, cx)?;
    let sign_out = provider
        .state()
        .update(cx, |state, cx| state.sign_out(cx))?;
    let revocation = sign_out.await.map_err(|error| anyhow!(error.to_string()))?;
    match was {
        Some(who) => outln!("Signed out {who}."),
        None => outln!("Not signed in."),
    }
    // The other accounts stay signed in; say which one is now in use.
    let (saved, next) = provider.state().update(cx, |state, _| {
        let next = state
            .accounts()
            .into_iter()
            .find(|account| account.active)
            .map(|account| account.label);
        (state.accounts_saved(), next)
    })?;
    saved.await;
    if let Some(next) = next {
        outln!("Now using {}.", one_line(&next, 120));
    }
    if let Revocation::Failed(reason) = revocation {
        errln!(
            "warning: the sign-in was deleted from this computer, but the issuer could not be \
             told to revoke it ({reason}). It can no longer be used from here and expires on its \
             own; to end it now, sign out of all sessions in your ChatGPT account's security \
             settings."
        );
    }
    Ok(())
}

/// `status [--json]`.
pub async fn status(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let (provider, _) = context.loaded_provider(UrlOpener::System, cx).await?;
    let (record, store) = provider.state().read_with(cx, |state, cx| {
        let auth = state.auth().read(cx);
        let record = match auth.auth_state() {
            AuthState::SignedIn { credentials, .. } => Some((
                credentials.identity.clone(),
                credentials.expires_at,
                credentials.route(),
                credentials.official.clone(),
            )),
            _ => None,
        };
        (record, auth.store_name())
    })?;
    if json {
        let value = match &record {
            Some((identity, expires_at, route, official)) => serde_json::json!({
                "signed_in": true,
                "email": identity.email,
                "plan": identity.plan.as_ref().map(|plan| plan.wire_name().to_string()),
                "account_id": identity.account_id,
                "expires_at": expires_at.to_rfc3339(),
                "store": store,
                "route": route,
                "client_id": official.as_ref().map(|session| session.client_id.clone()),
                "plan_use": official.as_ref().map(|session| session.plan_use),
            }),
            None => serde_json::json!({
                "signed_in": false, "email": null, "plan": null, "account_id": null,
                "expires_at": null, "store": null,
            }),
        };
        outln!("{value}");
        return Ok(());
    }
    match record {
        Some((identity, expires_at, route, official)) => {
            let email = identity.email.unwrap_or_else(|| "(no email)".into());
            match &official {
                None => {
                    let plan = identity
                        .plan
                        .map(|plan| plan.to_string())
                        .unwrap_or_else(|| "unknown".into());
                    outln!("Signed in as {email} · {plan}");
                    outln!(
                        "Account:  {}",
                        one_line(&identity.account_id.unwrap_or_default(), 100)
                    );
                }
                Some(session) => {
                    outln!("Signed in as {email}");
                    outln!("App:      {}", one_line(&session.client_id, 100));
                    outln!("Plan use: {}", session.plan_use.sentence());
                }
            }
            outln!("Route:    {}", route.label());
            outln!(
                "Session:  access token valid until {} (renewed automatically)",
                super::local_time::date_time(expires_at)
            );
            outln!("Stored in the {store}");
        }
        None => {
            outln!("Not signed in. Run `openai-subscribed login` (or `login --device` over SSH).")
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser as _;

    fn method(args: &[&str]) -> Result<SignInMethod> {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Login(login) = cli.command else {
            panic!("not a login");
        };
        sign_in_method(&login)
    }

    #[test]
    fn login_takes_sign_in_with_chatgpt_unless_told_otherwise() {
        // The environment may choose the route for the whole test process.
        if std::env::var_os(crate::args::ENV_ROUTE).is_none() {
            assert_eq!(
                method(&["openai-subscribed", "login"]).unwrap(),
                SignInMethod::SignInWithChatGpt
            );
            assert_eq!(
                method(&["openai-subscribed", "login", "--device"]).unwrap(),
                SignInMethod::DeviceCode
            );
        }
        assert_eq!(
            method(&["openai-subscribed", "login", "--route", "codex"]).unwrap(),
            SignInMethod::Browser
        );
        assert_eq!(
            method(&["openai-subscribed", "login", "--route", "siwc"]).unwrap(),
            SignInMethod::SignInWithChatGpt
        );
        let error = method(&["openai-subscribed", "login", "--route", "siwc", "--device"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--route codex --device"), "{error}");
    }
}
