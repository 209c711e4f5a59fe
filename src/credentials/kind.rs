//! [`StoreKind`]: which credential store to use, as named on the command line (`--store`).

use super::{AutoStore, CredentialStore, FileStore, KeychainStore, MemoryStore};
use crate::config::Config;
use gpui::App;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::Arc;

/// A kind of credential store.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// The keychain, or the file when no keychain service answers.
    #[default]
    Auto,
    /// The OS keychain only.
    Keychain,
    /// The credentials file only.
    File,
    /// Memory only: forgotten when the process ends.
    Memory,
}

/// A `--store` value that is not one of the four names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown credential store {0:?}: expected auto, keychain, file or memory")]
pub struct UnknownStoreKind(String);

impl FromStr for StoreKind {
    type Err = UnknownStoreKind;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        match name.trim().to_ascii_lowercase().as_str() {
            "auto" => Ok(Self::Auto),
            "keychain" => Ok(Self::Keychain),
            "file" => Ok(Self::File),
            "memory" => Ok(Self::Memory),
            _ => Err(UnknownStoreKind(name.to_string())),
        }
    }
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Auto => "auto",
            Self::Keychain => "keychain",
            Self::File => "file",
            Self::Memory => "memory",
        })
    }
}

impl StoreKind {
    /// Builds the store. The keychain entry is keyed by the issuer URL; the file lives at
    /// `file_path`, or `FileStore::default_path`, or `./chatgpt-credentials.json` as a last
    /// resort.
    pub fn build(
        self,
        config: &Config,
        file_path: Option<PathBuf>,
        cx: &App,
    ) -> Arc<dyn CredentialStore> {
        let file = || {
            FileStore::new(
                file_path
                    .clone()
                    .or_else(FileStore::default_path)
                    .unwrap_or_else(|| PathBuf::from("chatgpt-credentials.json")),
            )
        };
        let keychain = || KeychainStore::new(config.issuer.as_str(), cx);
        match self {
            Self::Auto => Arc::new(AutoStore::new(keychain(), file())),
            Self::Keychain => Arc::new(keychain()),
            Self::File => Arc::new(file()),
            Self::Memory => Arc::new(MemoryStore::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_names_and_rejects_others() {
        for kind in [
            StoreKind::Auto,
            StoreKind::Keychain,
            StoreKind::File,
            StoreKind::Memory,
        ] {
            assert_eq!(kind.to_string().parse::<StoreKind>(), Ok(kind));
        }
        assert_eq!(" File ".parse::<StoreKind>(), Ok(StoreKind::File));
        assert!("vault".parse::<StoreKind>().is_err());
    }
}
