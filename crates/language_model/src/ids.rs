//! Identifier and name newtypes: model, provider and tool-call ids.
//!
//! Follows `crates/language_model_core/src/language_model_core.rs` of zed-industries/zed.

use gpui::SharedString;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

macro_rules! shared_string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub SharedString);

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(SharedString::from(value))
            }
        }

        impl From<&'static str> for $name {
            fn from(value: &'static str) -> Self {
                Self(SharedString::new_static(value))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

shared_string_newtype!(
    /// A model's id within its provider (for this provider: the catalog slug).
    LanguageModelId
);
shared_string_newtype!(
    /// A model's display name.
    LanguageModelName
);
shared_string_newtype!(
    /// A provider's id, e.g. `openai-subscribed`.
    LanguageModelProviderId
);
shared_string_newtype!(
    /// A provider's display name, e.g. `ChatGPT Subscription`.
    LanguageModelProviderName
);

impl LanguageModelProviderId {
    /// A provider id from a static string.
    pub const fn new(id: &'static str) -> Self {
        Self(SharedString::new_static(id))
    }
}

impl LanguageModelProviderName {
    /// A provider name from a static string.
    pub const fn new(name: &'static str) -> Self {
        Self(SharedString::new_static(name))
    }
}

/// The id of one tool call, chosen by the model (the Responses API's `call_id`).
#[derive(Debug, PartialEq, Eq, Hash, Clone, Serialize, Deserialize)]
pub struct LanguageModelToolUseId(Arc<str>);

impl fmt::Display for LanguageModelToolUseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<T> From<T> for LanguageModelToolUseId
where
    T: Into<Arc<str>>,
{
    fn from(value: T) -> Self {
        Self(value.into())
    }
}
