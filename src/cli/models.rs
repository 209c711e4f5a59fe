//! `models [--json]`: the models the plan offers, and where the list came from.

use super::context::CommandContext;
use crate::models::{ListingFormat, render_listing};
use crate::provider::UrlOpener;
use anyhow::Result;
use gpui::AsyncApp;

/// Prints the catalog: fetched (or revalidated) when signed in, else the cache or the built-in list.
pub async fn list(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let provider = context.provider(UrlOpener::System, cx)?;
    let state = provider.state().clone();
    let auth = state.read_with(cx, |state, _| state.auth().clone())?;
    let signed_in = auth
        .update(cx, |auth, cx| auth.authenticate(cx))?
        .await
        .is_ok();
    if signed_in {
        let refresh = state.update(cx, |state, cx| state.refresh_models(cx))?;
        if let Err(error) = refresh.await {
            // The list shown stays the cached or built-in one; say why it is not fresh.
            eprintln!("warning: could not fetch the model list: {error}");
        }
    } else if !json {
        eprintln!(
            "Not signed in: showing the built-in list. Run `openai-subscribed login` for your plan's models."
        );
    }
    let listing = state.read_with(cx, |state, cx| {
        let catalog = state.catalog().read(cx);
        render_listing(
            catalog.models(),
            catalog.source(),
            catalog.fetched_at(),
            if json {
                ListingFormat::Json
            } else {
                ListingFormat::Text
            },
        )
    })?;
    print!("{listing}");
    if !listing.ends_with('\n') {
        println!();
    }
    Ok(())
}
