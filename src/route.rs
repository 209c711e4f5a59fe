//! [`Route`]: which of the two ways to use a ChatGPT plan a sign-in takes.
//!
//! - **Sign in with ChatGPT** (`shared/spec/siwc.md`): the route the vendor documents for
//!   open-source tools that run locally. The app registers itself dynamically with the issuer, the
//!   consent page names the app, and requests go to the public API (`/v1/models`,
//!   `/v1/responses`) under the preview's rules. It serves Plus and Pro plans.
//! - **The Codex backend** (`shared/spec/codex-backend.md`): the route the Codex CLI takes, with
//!   its public client id and the private `chatgpt.com/backend-api/codex` backend. It serves every
//!   plan the Codex CLI serves (Business, Enterprise, Edu and Free included), and reports usage.
//!
//! A stored sign-in records its route; a record written before routes existed is a Codex-route
//! sign-in (the only route there was), so it keeps working unchanged.

use serde::{Deserialize, Serialize};

/// The way a sign-in reaches the user's plan. See the [module docs](self).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Route {
    /// The vendor's official "Sign in with ChatGPT" token sharing for open-source tools.
    #[serde(rename = "sign_in_with_chatgpt")]
    SignInWithChatGpt,
    /// The Codex CLI's route: its client id and the Codex backend. The default of records written
    /// before routes were recorded.
    #[default]
    #[serde(rename = "codex_backend")]
    CodexBackend,
}

impl Route {
    /// The route's name as a user reads it.
    pub fn label(self) -> &'static str {
        match self {
            Route::SignInWithChatGpt => "Sign in with ChatGPT",
            Route::CodexBackend => "Codex route",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_without_a_route_is_a_codex_route_sign_in() {
        #[derive(Deserialize)]
        struct Record {
            #[serde(default)]
            route: Route,
        }
        let record: Record = serde_json::from_str("{}").unwrap();
        assert_eq!(record.route, Route::CodexBackend);
        let record: Record = serde_json::from_str(r#"{"route":"sign_in_with_chatgpt"}"#).unwrap();
        assert_eq!(record.route, Route::SignInWithChatGpt);
    }
}
