//! The issuer's consent page: what a person sees at `GET /oauth/authorize` before the browser
//! goes back to the client, and the switch that turns it on.
//!
//! The real issuer shows the account and asks the user to continue; so does this page, in
//! [`AuthorizePage::Consent`] mode. Its form posts the authorize request back to
//! `POST /oauth/authorize` with `decision=continue` or `decision=cancel` (handled in
//! [`super::issuer::decide`]). The page carries the request in hidden fields rather than in
//! server-side state, so the emulator keeps nothing per page and a stale tab still works.

use super::EmulatedAccount;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute, encode_text};

/// What `GET /oauth/authorize` answers once the request checks out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AuthorizePage {
    /// A 302 to the callback at once, as if the user had clicked "Continue". The default: the
    /// HTTP-client tests, the offline demo and `openai-subscribed emulator` follow one redirect
    /// and never have to fill in a form.
    #[default]
    InstantRedirect,
    /// A consent page (account, plan, "Continue" and "Cancel"), as the real issuer shows; the
    /// browser test (`tests/browser.rs`) clicks its buttons in headless Chromium.
    Consent,
}

/// The user's answer on the consent page (the `decision` field of its form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// "Continue": go back to the client with a code.
    Continue,
    /// "Cancel": go back with `error=access_denied` (RFC 6749 §4.1.2.1).
    Cancel,
}

impl Decision {
    /// The form value the page's buttons send.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "continue" => Some(Self::Continue),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// The consent page for an authorize request whose parameters (already checked) are `params`.
pub fn consent_page(account: &EmulatedAccount, params: &[(String, String)]) -> Response {
    let hidden_fields: String = params
        .iter()
        .filter(|(name, _)| name != "decision")
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                encode_double_quoted_attribute(name),
                encode_double_quoted_attribute(value)
            )
        })
        .collect();
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in to Codex with ChatGPT</title>
<style>
  body {{ margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         background: #f7f7f8; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; color: #0d0d0d; }}
  main {{ background: #fff; border: 1px solid #e5e5e5; border-radius: 16px; padding: 32px 40px;
          width: 360px; box-shadow: 0 4px 24px rgba(0,0,0,.06); }}
  h1 {{ font-size: 22px; margin: 0 0 8px; }}
  p {{ color: #5d5d5d; line-height: 1.45; margin: 0 0 20px; }}
  .account {{ border: 1px solid #e5e5e5; border-radius: 10px; padding: 12px 14px; margin-bottom: 24px; }}
  .email {{ font-weight: 600; }}
  .plan {{ color: #5d5d5d; font-size: 14px; margin-top: 2px; }}
  button {{ display: block; width: 100%; padding: 12px; border-radius: 999px; font-size: 16px;
            cursor: pointer; margin-top: 10px; }}
  #continue {{ background: #0d0d0d; color: #fff; border: 1px solid #0d0d0d; }}
  #cancel {{ background: #fff; color: #0d0d0d; border: 1px solid #c5c5c5; }}
  .emulated {{ margin-top: 20px; font-size: 12px; color: #8e8e8e; text-align: center; }}
  @media (prefers-color-scheme: dark) {{
    body {{ background: #0d0d0d; color: #ececec; }}
    main {{ background: #212121; border-color: #3a3a3a; box-shadow: none; }}
    p, .plan {{ color: #b4b4b4; }}
    .account {{ border-color: #3a3a3a; }}
    #continue {{ background: #ececec; color: #0d0d0d; border-color: #ececec; }}
    #cancel {{ background: #212121; color: #ececec; border-color: #5a5a5a; }}
  }}
</style>
</head>
<body>
<main>
  <h1>Sign in to Codex</h1>
  <p>Codex will use your ChatGPT subscription. It can read your profile and email address.</p>
  <div class="account">
    <div class="email" id="account-email">{email}</div>
    <div class="plan" id="account-plan">ChatGPT {plan}</div>
  </div>
  <form method="post" action="/oauth/authorize">
    {hidden_fields}
    <button id="continue" type="submit" name="decision" value="continue">Continue</button>
    <button id="cancel" type="submit" name="decision" value="cancel">Cancel</button>
  </form>
  <div class="emulated">openai_subscribed emulator &middot; no real account is used</div>
</main>
</body>
</html>
"#,
        email = encode_text(&account.email),
        plan = encode_text(&plan_name(&account.plan)),
    );
    let mut response = (StatusCode::OK, Html(body)).into_response();
    // The page holds this sign-in's `state` and PKCE challenge: keep it out of caches.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// "plus" → "Plus", as the real page names plans.
fn plan_name(plan: &str) -> String {
    let mut letters = plan.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_and_plan_names() {
        assert_eq!(Decision::parse("continue"), Some(Decision::Continue));
        assert_eq!(Decision::parse("cancel"), Some(Decision::Cancel));
        assert_eq!(Decision::parse("Continue"), None);
        assert_eq!(plan_name("plus"), "Plus");
        assert_eq!(plan_name(""), "");
    }
}
