//! [`OfficialSession`]: what a sign-in of the official route carries beside its tokens.

use serde::{Deserialize, Serialize};

/// Whether the user let this app use their ChatGPT plan (siwc.md §1.6 step 4, §5.1): granted
/// only when the token answer's `scope` holds `chatgpt.tokens.use.direct`. A valid sign-in
/// without it is an identity only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanUse {
    /// Requests may use the plan.
    Granted,
    /// Signed in (identity), but plan use was not granted: no inference.
    NotGranted,
}

impl PlanUse {
    /// Plan use as a granted scope list says it (space-separated, as OAuth sends it).
    pub fn from_scope(scope: &str) -> Self {
        if scope
            .split_ascii_whitespace()
            .any(|granted| granted == super::PLAN_SCOPE)
        {
            Self::Granted
        } else {
            Self::NotGranted
        }
    }

    /// One sentence for the user.
    pub fn sentence(self) -> &'static str {
        match self {
            Self::Granted => "You allowed this app to use your ChatGPT plan.",
            Self::NotGranted => {
                "Plan use is off: you signed in without allowing this app to use your ChatGPT \
                 plan. To turn it on, sign in again and allow \"Use your ChatGPT plan\"."
            }
        }
    }
}

/// The official route's part of a token set and of the stored record. Nothing here is secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfficialSession {
    /// The client id the issuer registered for this user and workspace; sent with every
    /// refresh and revocation.
    pub client_id: String,
    /// The user (`sub` of the verified ID token); a refresh's ID token must name the same.
    pub subject: String,
    /// Whether plan use was granted.
    pub plan_use: PlanUse,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_use_needs_the_plan_scope() {
        assert_eq!(
            PlanUse::from_scope(
                "chatgpt.tokens.use.direct email offline_access openid profile resource.invoke"
            ),
            PlanUse::Granted
        );
        assert_eq!(
            PlanUse::from_scope("openid profile email"),
            PlanUse::NotGranted
        );
        assert_eq!(
            PlanUse::from_scope("chatgpt.tokens.use.direct.extra"),
            PlanUse::NotGranted
        );
    }
}
