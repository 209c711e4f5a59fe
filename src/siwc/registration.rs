//! [`Registrations`]: what the official route keeps about this host and its registered account,
//! beside the credentials (siwc.md §1.2, §1.4, §1.9, §2).
//!
//! - **`ext_agent_host_id`**: one per host, `urn:uuid:<UUIDv4>`, made on the first sign-in and
//!   kept for good: signing out, signing in again or restarting never makes a new one. Opaque,
//!   not a credential.
//! - **The saved account** ([`SavedAccount`]): the issuer, the **issued client id** (saved the
//!   moment the callback brings it, before the code is exchanged, so a failed exchange retries
//!   with it instead of registering a second client), the `sub` and email of the last good
//!   sign-in, whether plan use was granted, and that sign-in's ID token for `id_token_hint`.
//!   Sign-out forgets only the ID token: the registration survives it (§1.9).
//!
//! The file is JSON, written atomically with mode 0600 (it holds the ID token), next to the
//! credential store's refresh lock: beside the credentials file, or in the configuration
//! directory for the keychain. A store that other processes do not share (memory) keeps the
//! registration in memory, for the life of this handle.

use crate::secret::IdToken;
use anyhow::{Context as _, Result};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::session::PlanUse;

/// The registered account of the last official sign-in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedAccount {
    /// The issuer it is registered with.
    pub issuer: String,
    /// The client id the issuer registered (`oaiapp_…`). Not a secret.
    pub client_id: String,
    /// The user (`sub`) of the last good sign-in; `None` until one completes.
    #[serde(default)]
    pub subject: Option<String>,
    /// The email of the last good sign-in, sent as `login_hint`.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the last sign-in granted plan use (a later one then asks for consent again).
    #[serde(default)]
    pub plan_use: Option<PlanUse>,
    /// The last good sign-in's ID token, sent as `id_token_hint`; forgotten at sign-out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token: Option<IdToken>,
}

/// The file's content.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct RegistrationFile {
    #[serde(default)]
    ext_agent_host_id: Option<String>,
    #[serde(default)]
    account: Option<SavedAccount>,
}

enum Location {
    File(PathBuf),
    Memory(Mutex<RegistrationFile>),
}

/// This host's id and registered account. Clones share the same place.
#[derive(Clone)]
pub struct Registrations {
    location: Arc<Location>,
    /// One read-modify-write at a time within the process.
    serial: Arc<Mutex<()>>,
}

impl std::fmt::Debug for Registrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &*self.location {
            Location::File(path) => write!(f, "Registrations({})", path.display()),
            Location::Memory(_) => f.write_str("Registrations(memory)"),
        }
    }
}

/// The file name beside the store's refresh lock.
const FILE_SUFFIX: &str = "siwc-registration.json";

impl Registrations {
    /// Kept in a file at `path`.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self {
            location: Arc::new(Location::File(path.into())),
            serial: Arc::default(),
        }
    }

    /// Kept in memory, for this handle and its clones.
    pub fn in_memory() -> Self {
        Self {
            location: Arc::new(Location::Memory(Mutex::default())),
            serial: Arc::default(),
        }
    }

    /// Kept beside a credential store's refresh lock (`…/auth.json.lock` →
    /// `…/auth.json.siwc-registration.json`; the keychain's `…/keychain-ab12.refresh.lock` →
    /// `…/keychain-ab12.siwc-registration.json`).
    pub fn beside_lock(lock: &Path) -> Self {
        let name = lock
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = name
            .strip_suffix("refresh.lock")
            .or_else(|| name.strip_suffix("lock"))
            .unwrap_or(&name);
        Self::file(lock.with_file_name(format!("{stem}{FILE_SUFFIX}")))
    }

    /// Where the file is (`None` in memory).
    pub fn path(&self) -> Option<&Path> {
        match &*self.location {
            Location::File(path) => Some(path),
            Location::Memory(_) => None,
        }
    }

    /// This host's `ext_agent_host_id`, made and saved the first time.
    pub fn host_id(&self) -> Result<String> {
        let _serial = self.serial.lock();
        let mut file = self.read()?;
        if let Some(id) = file.ext_agent_host_id.clone().filter(|id| !id.is_empty()) {
            return Ok(id);
        }
        let id = format!("urn:uuid:{}", uuid::Uuid::new_v4());
        file.ext_agent_host_id = Some(id.clone());
        self.write(&file)?;
        Ok(id)
    }

    /// Takes `id` as this host's id when none is saved yet: another account's registration on
    /// this host already made it (one host, one id, however many accounts, siwc.md §2).
    pub fn adopt_host_id(&self, id: &str) -> Result<()> {
        let _serial = self.serial.lock();
        let mut file = self.read()?;
        if file
            .ext_agent_host_id
            .as_deref()
            .is_some_and(|id| !id.is_empty())
        {
            return Ok(());
        }
        file.ext_agent_host_id = Some(id.to_string());
        self.write(&file)
    }

    /// The saved account registered with `issuer`, if any.
    pub fn account(&self, issuer: &str) -> Result<Option<SavedAccount>> {
        let _serial = self.serial.lock();
        Ok(self
            .read()?
            .account
            .filter(|account| account.issuer == issuer))
    }

    /// Replaces the saved account.
    pub fn save_account(&self, account: SavedAccount) -> Result<()> {
        let _serial = self.serial.lock();
        let mut file = self.read()?;
        file.account = Some(account);
        self.write(&file)
    }

    /// Forgets the saved ID token (sign-out); the registration itself stays.
    pub fn forget_id_token(&self) -> Result<()> {
        let _serial = self.serial.lock();
        let mut file = self.read()?;
        if let Some(account) = file.account.as_mut()
            && account.id_token.take().is_some()
        {
            self.write(&file)?;
        }
        Ok(())
    }

    fn read(&self) -> Result<RegistrationFile> {
        match &*self.location {
            Location::Memory(file) => Ok(file.lock().clone()),
            Location::File(path) => match std::fs::read(path) {
                Ok(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
                    log::warn!(
                        "the ChatGPT registration file {} is damaged; starting a new one",
                        path.display()
                    );
                    RegistrationFile::default()
                })),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    Ok(RegistrationFile::default())
                }
                Err(error) => {
                    Err(error).with_context(|| format!("could not read {}", path.display()))
                }
            },
        }
    }

    fn write(&self, file: &RegistrationFile) -> Result<()> {
        match &*self.location {
            Location::Memory(stored) => {
                *stored.lock() = file.clone();
                Ok(())
            }
            Location::File(path) => {
                let bytes = serde_json::to_vec_pretty(file)?;
                crate::atomic_file::write_atomically(
                    path,
                    crate::atomic_file::TempPattern {
                        prefix: ".siwc-registration-",
                        suffix: ".tmp",
                    },
                    &bytes,
                )
                .with_context(|| format!("could not write {}", path.display()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_host_id_is_made_once_and_survives_sign_out() {
        let directory = tempfile::tempdir().unwrap();
        let lock = directory.path().join("auth.json.lock");
        let registrations = Registrations::beside_lock(&lock);
        assert_eq!(
            registrations.path().unwrap(),
            directory.path().join("auth.json.siwc-registration.json")
        );
        let id = registrations.host_id().unwrap();
        assert!(id.starts_with("urn:uuid:"), "{id}");
        assert_eq!(
            uuid::Uuid::parse_str(&id["urn:uuid:".len()..])
                .unwrap()
                .get_version_num(),
            4
        );
        registrations
            .save_account(SavedAccount {
                issuer: "https://auth.openai.com".into(),
                client_id: "oaiapp_1".into(),
                subject: Some("user-1".into()),
                email: Some("ada@example.com".into()),
                plan_use: Some(PlanUse::Granted),
                id_token: Some(IdToken::new("id-secret")),
            })
            .unwrap();
        registrations.forget_id_token().unwrap();
        // Another process (a new handle on the same file) sees the same host and registration.
        let again = Registrations::beside_lock(&lock);
        assert_eq!(again.host_id().unwrap(), id);
        let account = again.account("https://auth.openai.com").unwrap().unwrap();
        assert_eq!(account.client_id, "oaiapp_1");
        assert_eq!(account.id_token, None);
        assert_eq!(again.account("https://other.example").unwrap(), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(again.path().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
