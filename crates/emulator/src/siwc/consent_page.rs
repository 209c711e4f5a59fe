//! The official route's consent page ([`SiwcConsent::Page`](super::SiwcConsent::Page)): what a
//! person sees at `GET /api/accounts/authorize` before the browser goes back to the client
//! (siwc.md §1.3, §5.1, §6). Three buttons post the authorize request back to
//! `POST /api/accounts/authorize` with `decision`: "Continue" (`continue`, plan use granted),
//! "Continue without plan use" (`identity_only`) and "Cancel" (`cancel`, `access_denied`).
//! The page carries the request in hidden fields, so the emulator keeps nothing per page.
//! [`crate::browser`] clicks "Continue" (it posts `decision=continue`); the Chromium test can
//! click any button by its id.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute, encode_text};

/// The user's answer on the consent page (the `decision` field of its form).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// "Continue": a code granting plan use.
    Continue,
    /// "Continue without plan use": a code granting identity only.
    ContinueWithoutPlan,
    /// "Cancel": `error=access_denied`.
    Cancel,
}

impl Decision {
    /// The form value a button sends.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "continue" => Some(Self::Continue),
            "identity_only" => Some(Self::ContinueWithoutPlan),
            "cancel" => Some(Self::Cancel),
            _ => None,
        }
    }
}

/// The consent page for an authorize request whose (checked) parameters are `params`.
pub fn consent_page(agent_name: Option<&str>, params: &[(String, String)]) -> Response {
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
    let agent = encode_text(agent_name.unwrap_or("This app")).to_string();
    let body = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Continue with ChatGPT</title>
<style>
  body {{ margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
         background: #f7f7f8; font-family: system-ui, sans-serif; color: #0d0d0d; }}
  main {{ background: #fff; border: 1px solid #e5e5e5; border-radius: 16px; padding: 32px 40px; width: 380px; }}
  button {{ display: block; width: 100%; padding: 12px; border-radius: 999px; font-size: 16px; margin-top: 10px; }}
  #continue {{ background: #0d0d0d; color: #fff; border: 1px solid #0d0d0d; }}
  #identity-only, #cancel {{ background: #fff; color: #0d0d0d; border: 1px solid #c5c5c5; }}
</style>
</head>
<body>
<main>
  <h1 id="agent-name">{agent}</h1>
  <p>wants to use your ChatGPT plan. It will see your name, email, picture and a stable id;
     it will not see your conversations, memories or an API key.</p>
  <form method="post" action="/api/accounts/authorize">
    {hidden_fields}
    <button id="continue" type="submit" name="decision" value="continue">Continue</button>
    <button id="identity-only" type="submit" name="decision" value="identity_only">Continue without plan use</button>
    <button id="cancel" type="submit" name="decision" value="cancel">Cancel</button>
  </form>
  <p>openai_subscribed emulator &middot; no real account is used</p>
</main>
</body>
</html>
"#
    );
    let mut response = (StatusCode::OK, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions() {
        assert_eq!(Decision::parse("continue"), Some(Decision::Continue));
        assert_eq!(
            Decision::parse("identity_only"),
            Some(Decision::ContinueWithoutPlan)
        );
        assert_eq!(Decision::parse("cancel"), Some(Decision::Cancel));
        assert_eq!(Decision::parse("Continue"), None);
    }
}
