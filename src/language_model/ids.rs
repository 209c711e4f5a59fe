//! Identifier and name newtypes, as in Zed.

use gpui::SharedString;
use serde::{Deserialize, Serialize};
use std::fmt;

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
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LanguageModelToolUseId(SharedString);

impl<T: Into<SharedString>> From<T> for LanguageModelToolUseId {
    fn from(value: T) -> Self {
        Self(value.into())
    }
}

impl fmt::Display for LanguageModelToolUseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl LanguageModelToolUseId {
    /// The id as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
