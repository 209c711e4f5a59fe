//! The host's list of providers (a reduced `LanguageModelRegistry`).

use super::{LanguageModel, LanguageModelProvider, LanguageModelProviderId};
use gpui::{App, AppContext as _, Entity, Global};
use std::sync::Arc;

/// The providers a host knows about.
#[derive(Default)]
pub struct LanguageModelRegistry {
    providers: Vec<Arc<dyn LanguageModelProvider>>,
}

struct GlobalLanguageModelRegistry(Entity<LanguageModelRegistry>);
impl Global for GlobalLanguageModelRegistry {}

impl LanguageModelRegistry {
    /// The app's registry, created on first use.
    pub fn global(cx: &mut App) -> Entity<Self> {
        if let Some(global) = cx.try_global::<GlobalLanguageModelRegistry>() {
            return global.0.clone();
        }
        let registry = cx.new(|_| Self::default());
        cx.set_global(GlobalLanguageModelRegistry(registry.clone()));
        registry
    }

    /// Adds a provider (replacing one with the same id).
    pub fn register_provider(
        &mut self,
        provider: Arc<dyn LanguageModelProvider>,
        cx: &mut gpui::Context<Self>,
    ) {
        let id = provider.id();
        self.providers.retain(|existing| existing.id() != id);
        self.providers.push(provider);
        cx.notify();
    }

    /// The provider with this id.
    pub fn provider(&self, id: &LanguageModelProviderId) -> Option<Arc<dyn LanguageModelProvider>> {
        self.providers.iter().find(|p| &p.id() == id).cloned()
    }

    /// All registered providers.
    pub fn providers(&self) -> &[Arc<dyn LanguageModelProvider>] {
        &self.providers
    }

    /// Every model of every provider.
    pub fn available_models(&self, cx: &App) -> Vec<Arc<dyn LanguageModel>> {
        self.providers
            .iter()
            .flat_map(|provider| provider.provided_models(cx))
            .collect()
    }
}
