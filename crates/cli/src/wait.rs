//! Waiting, from a command, for an entity to reach a state: re-checked whenever the entity
//! notifies, with a tick for the spinner in between.

use anyhow::{Result, anyhow};
use futures::{FutureExt as _, StreamExt as _, channel::mpsc};
use gpui::{App, AsyncApp, Entity};
use openai_subscribed::auth::{self, AuthState};
use std::time::Duration;

/// How often `on_tick` runs while waiting.
const TICK: Duration = Duration::from_millis(120);

/// Calls `check` now and after each notification of `entity` until it returns `Some`.
pub async fn wait_for<E: 'static, T>(
    entity: &Entity<E>,
    cx: &mut AsyncApp,
    mut check: impl FnMut(&E, &App) -> Option<T>,
    mut on_tick: impl FnMut(),
) -> Result<T> {
    let (notify_tx, mut notified) = mpsc::unbounded::<()>();
    let _subscription = cx.update(|cx| {
        cx.observe(entity, move |_, _| {
            notify_tx.unbounded_send(()).ok();
        })
    })?;
    loop {
        if let Some(value) = entity.read_with(cx, |entity, cx| check(entity, cx))? {
            return Ok(value);
        }
        let timer = cx.background_executor().timer(TICK);
        futures::select_biased! {
            _ = notified.next() => {}
            _ = timer.fuse() => on_tick(),
        }
    }
}

/// How a sign-in ended, once it has: `Ok` when signed in, the error shown when signed out again.
pub fn sign_in_outcome(auth: &auth::State) -> Option<Result<()>> {
    match auth.auth_state() {
        AuthState::SignedIn { .. } => Some(Ok(())),
        AuthState::SignedOut => Some(Err(auth
            .last_error()
            .map(|error| anyhow!(error.to_string()))
            .unwrap_or_else(|| anyhow!("the sign-in was cancelled")))),
        AuthState::Loading | AuthState::SigningIn { .. } => None,
    }
}
