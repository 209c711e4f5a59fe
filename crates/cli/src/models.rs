//! `models [--json]`: the models the plan offers, and where the list came from.

use super::context::CommandContext;
use super::model_listing::{ListingFormat, catalog_listing};
use super::output::{errln, out, outln};
use anyhow::Result;
use gpui::AsyncApp;
use openai_subscribed::provider::UrlOpener;

/// Prints the catalog: fetched or revalidated when signed in, else the cache or the built-in list.
pub async fn list(context: CommandContext, json: bool, cx: &mut AsyncApp) -> Result<()> {
    let (provider, signed_in) = context.loaded_provider(UrlOpener::System, cx).await?;
    let state = provider.state().clone();
    if signed_in {
        // Asked for the plan's models, the command asks the backend every time, however fresh
        // the cache is: a cached list is revalidated with its `ETag` (a 304 costs next to
        // nothing), so what it prints never depends on whether an earlier process happened to
        // finish writing the cache before it exited.
        state.update(cx, |state, cx| {
            state
                .catalog()
                .update(cx, |catalog, cx| catalog.mark_stale(cx))
        })?;
        let refresh = state.update(cx, |state, cx| state.refresh_models(cx))?;
        if let Err(error) = refresh.await {
            // The list shown stays the cached or built-in one; say why it is not fresh.
            errln!("warning: could not fetch the model list: {error}");
        }
    } else if !json {
        errln!(
            "Not signed in: showing the built-in model list. Run `openai-subscribed login` for your plan's models."
        );
    }
    let format = if json {
        ListingFormat::Json
    } else {
        ListingFormat::Text
    };
    let listing = state.read_with(cx, |state, cx| {
        catalog_listing(state.catalog().read(cx), format)
    })?;
    out!("{listing}");
    if !listing.ends_with('\n') {
        outln!();
    }
    Ok(())
}
