//! `accounts [list|switch|remove] [--json]`: the signed-in accounts, side by side.
//!
//! The list marks the active account (the one every command uses unless given `--account`);
//! `switch` makes another one active for the following commands; `remove` signs out of one
//! account (its refresh token revoked, its record deleted) and leaves the others signed in.
//! An account is named by its label, its email or its id; a name that matches none is an error
//! that lists the ones there are. No token is ever printed.

use super::args::{AccountsAction, AccountsArgs};
use super::context::CommandContext;
use super::output::{errln, outln};
use anyhow::{Result, anyhow};
use gpui::AsyncApp;
use openai_subscribed::auth::revoke::Revocation;
use openai_subscribed::printable::one_line;
use openai_subscribed::provider::{AccountSummary, OpenAiSubscribedProvider, UrlOpener};

/// Runs `accounts`.
pub async fn run(context: CommandContext, args: AccountsArgs, cx: &mut AsyncApp) -> Result<()> {
    let (provider, _) = context.loaded_provider(UrlOpener::System, cx).await?;
    match args.action.unwrap_or(AccountsAction::List) {
        AccountsAction::List => list(&provider, args.json, cx),
        AccountsAction::Switch { name } => switch(&provider, &name, cx).await,
        AccountsAction::Remove { name } => remove(&provider, &name, cx).await,
    }
}

fn summaries(
    provider: &OpenAiSubscribedProvider,
    cx: &mut AsyncApp,
) -> Result<Vec<AccountSummary>> {
    provider.state().read_with(cx, |state, _| state.accounts())
}

/// The account `wanted` names, or an error listing the ones there are.
fn find(
    provider: &OpenAiSubscribedProvider,
    wanted: &str,
    cx: &mut AsyncApp,
) -> Result<AccountSummary> {
    let found = provider
        .state()
        .read_with(cx, |state, _| state.find_account(wanted))?
        .map_err(|missing| anyhow!(missing))?;
    summaries(provider, cx)?
        .into_iter()
        .find(|account| account.id == found)
        .ok_or_else(|| anyhow!("no account {wanted:?}"))
}

fn list(provider: &OpenAiSubscribedProvider, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let accounts = summaries(provider, cx)?;
    if json {
        let value: Vec<serde_json::Value> = accounts
            .iter()
            .map(|account| {
                serde_json::json!({
                    "id": account.id.as_str(),
                    "label": account.label,
                    "route": account.route,
                    "plan": account.plan.as_ref().map(|plan| plan.wire_name().to_string()),
                    "active": account.active,
                })
            })
            .collect();
        outln!("{}", serde_json::Value::Array(value));
        return Ok(());
    }
    if accounts.is_empty() {
        outln!("No account is signed in. Run `openai-subscribed login`.");
        return Ok(());
    }
    for account in &accounts {
        let mark = if account.active { "*" } else { " " };
        let plan = account
            .plan
            .as_ref()
            .map(|plan| format!(" · {plan}"))
            .unwrap_or_default();
        outln!(
            "{mark} {}{plan} · {} · {}",
            one_line(&account.label, 120),
            account.route.label(),
            account.id
        );
    }
    if accounts.len() > 1 {
        outln!(
            "(* active; `openai-subscribed accounts switch LABEL` changes it, `--account LABEL` \
             uses another one for one command)"
        );
    }
    Ok(())
}

async fn switch(
    provider: &OpenAiSubscribedProvider,
    wanted: &str,
    cx: &mut AsyncApp,
) -> Result<()> {
    let account = find(provider, wanted, cx)?;
    let saved = provider.state().update(cx, |state, cx| {
        state.switch_account(&account.id, cx);
        state.accounts_saved()
    })?;
    saved.await;
    outln!("Now using {}.", one_line(&account.label, 120));
    Ok(())
}

async fn remove(
    provider: &OpenAiSubscribedProvider,
    wanted: &str,
    cx: &mut AsyncApp,
) -> Result<()> {
    let account = find(provider, wanted, cx)?;
    let sign_out = provider
        .state()
        .update(cx, |state, cx| state.sign_out_account(&account.id, cx))?;
    let revocation = sign_out.await.map_err(|error| anyhow!(error.to_string()))?;
    let saved = provider
        .state()
        .update(cx, |state, _| state.accounts_saved())?;
    saved.await;
    outln!("Signed out of {}.", one_line(&account.label, 120));
    if let Revocation::Failed(reason) = revocation {
        errln!(
            "warning: the sign-in was deleted from this computer, but the issuer could not be \
             told to revoke it ({reason}). It can no longer be used from here and expires on its \
             own."
        );
    }
    Ok(())
}
