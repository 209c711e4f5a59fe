//! The settings card's sign-in offers as the user sees them, against the embedded emulator over
//! real sockets: which sign-in comes first where a browser can or cannot work, the one line that
//! says why, and the device code's Copy and Open buttons (clicked).

mod support;

use emulator::Emulator;
use gpui::{Modifiers, TestAppContext, VisualTestContext};
use openai_subscribed::config::Config;
use openai_subscribed::credentials::{CredentialStore, MemoryStore};
use openai_subscribed::models::CacheLocation;
use openai_subscribed::oauth::{BrowserAvailability, CallbackServerOptions};
use openai_subscribed::provider::{
    ConfigurationStatus, ConfigurationView, OpenAiSubscribedProvider, SignInStep, StateOptions,
    UrlOpener,
};
use parking_lot::Mutex;
use reqwest_client::ReqwestHttpClient;
use std::rc::Rc;
use std::sync::Arc;
use support::wait_until;
use theme::{Appearance, GlobalTheme, Theme};

/// A signed-out provider on a machine where a browser sign-in is as `browser` says, with its card
/// in a window. `opened` records every URL the provider asks to open.
struct Harness {
    _emulator: Emulator,
    _cache: tempfile::TempDir,
    provider: Arc<OpenAiSubscribedProvider>,
    opened: Arc<Mutex<Vec<url::Url>>>,
}

fn harness(cx: &mut TestAppContext, browser: BrowserAvailability) -> Harness {
    support::allow_parking(cx);
    let emulator = Emulator::start().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let opened: Arc<Mutex<Vec<url::Url>>> = Arc::default();
    let slot = opened.clone();
    let options = StateOptions {
        cache: CacheLocation::Directory(cache.path().to_path_buf()),
        url_opener: UrlOpener::Custom(Rc::new(move |url, _| slot.lock().push(url.clone()))),
        callback: CallbackServerOptions {
            ports: vec![0],
            ..CallbackServerOptions::default()
        },
        browser,
        ..StateOptions::default()
    };
    let http = ReqwestHttpClient::new("openai-subscribed-tests").unwrap();
    let credentials: Arc<dyn CredentialStore> = Arc::new(MemoryStore::new());
    let config = Config::with_urls(&emulator.issuer_url(), &emulator.backend_url()).unwrap();
    let provider = cx.update(|cx| {
        GlobalTheme::update_theme(cx, Arc::new(Theme::default_for(Appearance::Dark)));
        Arc::new(OpenAiSubscribedProvider::with_options(
            http,
            credentials,
            config,
            options,
            cx,
        ))
    });
    Harness {
        _emulator: emulator,
        _cache: cache,
        provider,
        opened,
    }
}

fn card<'a>(cx: &'a mut TestAppContext, h: &Harness) -> &'a mut VisualTestContext {
    let state = h.provider.state().clone();
    let (_, view) = cx.add_window_view(|_, cx| ConfigurationView::new(state, cx));
    view.run_until_parked();
    view
}

fn status(cx: &mut TestAppContext, h: &Harness) -> ConfigurationStatus {
    h.provider
        .state()
        .read_with(cx, |state, cx| state.status(cx))
}

fn click(cx: &mut VisualTestContext, selector: &'static str) {
    let bounds = cx
        .debug_bounds(selector)
        .unwrap_or_else(|| panic!("no element {selector:?} is rendered"));
    cx.simulate_click(bounds.center(), Modifiers::none());
}

fn top(cx: &mut VisualTestContext, selector: &'static str) -> gpui::Pixels {
    cx.debug_bounds(selector)
        .unwrap_or_else(|| panic!("no element {selector:?} is rendered"))
        .origin
        .y
}

fn wait_signed_out(cx: &mut TestAppContext, h: &Harness) {
    wait_until(cx, |cx| {
        matches!(status(cx, h), ConfigurationStatus::SignedOut { .. })
    });
}

#[gpui::test]
async fn where_a_browser_works_continue_with_chatgpt_comes_first_and_full_width(
    cx: &mut TestAppContext,
) {
    let h = harness(cx, BrowserAvailability::Available);
    wait_signed_out(cx, &h);
    let view = card(cx, &h);
    assert!(view.debug_bounds("no-browser").is_none());
    let official = view.debug_bounds("continue-with-chatgpt").unwrap();
    let device = view.debug_bounds("sign-in-device").unwrap();
    let codex = view.debug_bounds("sign-in").unwrap();
    assert!(official.origin.y < device.origin.y && official.origin.y < codex.origin.y);
    // Full width: wider than the two quieter buttons side by side.
    assert!(
        official.size.width > device.size.width + codex.size.width,
        "{official:?} vs {device:?} + {codex:?}"
    );
}

#[gpui::test]
async fn without_a_browser_the_card_says_why_and_offers_the_device_code_first(
    cx: &mut TestAppContext,
) {
    for availability in [
        BrowserAvailability::RemoteSession,
        BrowserAvailability::NoDisplay,
        BrowserAvailability::NoLauncher,
    ] {
        let h = harness(cx, availability);
        wait_signed_out(cx, &h);
        let view = card(cx, &h);
        let why = top(view, "no-browser");
        let device = top(view, "sign-in-device");
        let official = top(view, "continue-with-chatgpt");
        assert!(
            why < device && device < official,
            "{availability:?}: the reason, then the device code, then the browser sign-in"
        );
        // One line: no taller than a button.
        let line = view.debug_bounds("no-browser").unwrap().size.height;
        let button = view.debug_bounds("sign-in-device").unwrap().size.height;
        assert!(line <= button, "{availability:?}: {line:?} > {button:?}");

        // The device code it offers first is the one that starts.
        click(view, "sign-in-device");
        wait_until(cx, |cx| {
            matches!(
                status(cx, &h),
                ConfigurationStatus::SigningIn {
                    step: SignInStep::EnterDeviceCode { .. }
                }
            )
        });
        h.provider
            .state()
            .update(cx, |state, cx| state.cancel_sign_in(cx));
        cx.run_until_parked();
    }
}

#[gpui::test]
async fn the_device_code_has_copy_and_open_buttons(cx: &mut TestAppContext) {
    let h = harness(cx, BrowserAvailability::NoDisplay);
    wait_signed_out(cx, &h);
    let view = card(cx, &h);
    click(view, "sign-in-device");
    let mut shown = None;
    wait_until(cx, |cx| {
        if let ConfigurationStatus::SigningIn {
            step:
                SignInStep::EnterDeviceCode {
                    verification_url,
                    user_code,
                },
        } = status(cx, &h)
        {
            shown = Some((verification_url, user_code));
        }
        shown.is_some()
    });
    let (verification_url, user_code) = shown.unwrap();
    let view = card(cx, &h);
    assert!(view.debug_bounds("device-code").is_some());

    assert_eq!(view.read_from_clipboard(), None);
    click(view, "copy-device-code");
    view.run_until_parked();
    let copied = view.read_from_clipboard().and_then(|item| item.text());
    assert_eq!(copied.as_deref(), Some(user_code.as_str()));

    assert!(h.opened.lock().is_empty());
    click(view, "open-verification-page");
    view.run_until_parked();
    assert_eq!(*h.opened.lock(), vec![verification_url]);

    click(view, "cancel-sign-in");
    wait_signed_out(cx, &h);
}
