//! Who the provider is to the host: its id in Zed's settings and its name in Zed's UI.
//!
//! These sit below both [`crate::provider`] (which hands them to the host) and
//! [`crate::responses`] (which tags the compaction state it stores in a thread with the id), so
//! that nothing outside `provider` needs to import `provider`.

use language_model::{LanguageModelProviderId, LanguageModelProviderName};

/// The provider's id in Zed's settings.
pub(crate) const PROVIDER_ID: LanguageModelProviderId =
    LanguageModelProviderId::new("openai-subscribed");
/// The provider's name in Zed's UI.
pub(crate) const PROVIDER_NAME: LanguageModelProviderName =
    LanguageModelProviderName::new("ChatGPT Subscription");
