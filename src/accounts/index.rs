//! [`AccountIndex`]: which accounts exist, where each is kept, and which one is active.
//!
//! A small JSON file (or memory, for the memory store), written atomically, with no token in it:
//!
//! ```json
//! {"version":1,"active":"codex-1a2b3c4d5e6f","accounts":[{"id":"codex-1a2b3c4d5e6f",
//!  "slot":"primary","route":"codex_backend","email":"ada@example.com","plan":"plus"}]}
//! ```
//!
//! Every change is made as a change, not a snapshot: [`AccountIndex::update`] re-reads the file
//! under an exclusive lock (`index.json.lock`), applies the change and writes it back, so that two
//! processes (Zed and a command line, say) each adding or switching never lose the other's.
//!
//! A missing file is an empty index (every earlier version, and a fresh install); a damaged one
//! is also read as empty, with a warning, and is rewritten at the next change: the records
//! themselves are untouched, and the primary one joins the index again when it loads.

use super::{AccountId, Slot};
use crate::atomic_file::{TempPattern, write_atomically};
use crate::oauth::PlanType;
use crate::route::Route;
use anyhow::{Context as _, Result};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// The index format this version writes.
const INDEX_VERSION: u32 = 1;

/// Where an index lives.
#[derive(Clone)]
pub enum IndexLocation {
    /// A file (beside the credentials file, or in the config directory for the keychain).
    File(PathBuf),
    /// Memory shared by the clones of one memory store.
    Memory(Arc<Mutex<Option<Vec<u8>>>>),
}

impl std::fmt::Debug for IndexLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(path) => write!(f, "IndexLocation({})", path.display()),
            Self::Memory(_) => f.write_str("IndexLocation(memory)"),
        }
    }
}

/// One account as the index lists it. Nothing in it is secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountEntry {
    /// The account's stable id.
    pub id: AccountId,
    /// Where its record is kept.
    pub slot: Slot,
    /// How it signed in.
    pub route: Route,
    /// The email, when the sign-in named one (the label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The plan, when the sign-in named one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanType>,
}

impl AccountEntry {
    /// The label before duplicates are told apart: the email, else the plan and a short id.
    fn base_label(&self) -> String {
        match &self.email {
            Some(email) if !email.trim().is_empty() => email.trim().to_string(),
            _ => {
                let plan = self
                    .plan
                    .as_ref()
                    .map_or_else(|| "ChatGPT".to_string(), ToString::to_string);
                format!("{plan} account {}", self.id.short())
            }
        }
    }
}

/// The index (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountIndex {
    version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    active: Option<AccountId>,
    #[serde(default)]
    accounts: Vec<AccountEntry>,
}

/// Takes the exclusive lock `<path>.lock`, trying for at most two seconds; `None` when it could
/// not be had (the change then goes ahead without it).
fn lock_beside(path: &std::path::Path) -> Option<std::fs::File> {
    let mut name = path.file_name()?.to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    if let Some(directory) = lock_path.parent() {
        std::fs::create_dir_all(directory).ok()?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .ok()?;
    for _ in 0..100 {
        if matches!(fs4::fs_std::FileExt::try_lock_exclusive(&file), Ok(true)) {
            return Some(file);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    log::warn!(
        "another process holds {}; changing the account list without it",
        lock_path.display()
    );
    None
}

/// An `--account` (or `accounts switch`) value that names no account.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_missing(.wanted, .known))]
pub struct NoSuchAccount {
    /// What was asked for.
    pub wanted: String,
    /// The labels and ids of the accounts that exist.
    pub known: Vec<(String, AccountId)>,
}

fn describe_missing(wanted: &str, known: &[(String, AccountId)]) -> String {
    let wanted = crate::printable::one_line(wanted, 80);
    if known.is_empty() {
        return format!("no account {wanted:?}: no account is signed in");
    }
    let list: Vec<String> = known
        .iter()
        .map(|(label, id)| format!("{label} ({id})"))
        .collect();
    format!(
        "no account {wanted:?}; the signed-in accounts are: {}",
        list.join(", ")
    )
}

impl AccountIndex {
    /// Reads the index (blocking: a small file). Missing or damaged: empty (see the module docs).
    pub fn load(location: &IndexLocation) -> Self {
        let bytes = match location {
            IndexLocation::Memory(bytes) => bytes.lock().clone(),
            IndexLocation::File(path) => match std::fs::read(path) {
                Ok(bytes) => Some(bytes),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
                Err(error) => {
                    log::warn!(
                        "could not read the account list {}: {error}",
                        path.display()
                    );
                    None
                }
            },
        };
        let Some(bytes) = bytes else {
            return Self::default();
        };
        match serde_json::from_slice::<Self>(&bytes) {
            Ok(index) if index.version <= INDEX_VERSION => index,
            Ok(index) => {
                log::warn!(
                    "the account list was written by a newer version (format {}); only the \
                     account signed in first is used",
                    index.version
                );
                Self::default()
            }
            Err(_) => {
                log::warn!("the account list is damaged; it is rebuilt from the sign-ins");
                Self::default()
            }
        }
    }

    /// Applies `change` to the stored index (blocking): re-read under an exclusive lock beside
    /// the file, changed, written atomically. The lock is waited for at most two seconds (it is
    /// held only for one read and one write); past that, the change is made without it, with a
    /// warning.
    pub fn update(location: &IndexLocation, change: impl FnOnce(&mut Self)) -> Result<Self> {
        let _lock = match location {
            IndexLocation::File(path) => lock_beside(path),
            IndexLocation::Memory(_) => None,
        };
        let mut index = Self::load(location);
        change(&mut index);
        index.save(location)?;
        Ok(index)
    }

    /// Replaces the stored index (blocking, atomic).
    pub fn save(&self, location: &IndexLocation) -> Result<()> {
        let mut index = self.clone();
        index.version = INDEX_VERSION;
        let bytes = serde_json::to_vec_pretty(&index).context("the account list")?;
        match location {
            IndexLocation::Memory(stored) => {
                *stored.lock() = Some(bytes);
                Ok(())
            }
            IndexLocation::File(path) => write_atomically(
                path,
                TempPattern {
                    prefix: ".chatgpt-accounts-",
                    suffix: ".tmp",
                },
                &bytes,
            )
            .with_context(|| format!("could not write the account list {}", path.display())),
        }
    }

    /// The accounts, in the order they were added.
    pub fn entries(&self) -> &[AccountEntry] {
        &self.accounts
    }

    /// The active account's id, if one is named and listed.
    pub fn active(&self) -> Option<&AccountId> {
        self.active
            .as_ref()
            .filter(|id| self.accounts.iter().any(|entry| &entry.id == *id))
    }

    /// The account with this id.
    pub fn get(&self, id: &AccountId) -> Option<&AccountEntry> {
        self.accounts.iter().find(|entry| &entry.id == id)
    }

    /// The account kept in `slot`.
    pub fn in_slot(&self, slot: &Slot) -> Option<&AccountEntry> {
        self.accounts.iter().find(|entry| &entry.slot == slot)
    }

    /// Makes `id` the active account.
    pub fn set_active(&mut self, id: Option<AccountId>) {
        self.active = id;
    }

    /// Adds an account, or updates the one with the same id (keeping its place in the list).
    /// Returns the entry it replaced, if any.
    pub fn upsert(&mut self, entry: AccountEntry) -> Option<AccountEntry> {
        match self.accounts.iter_mut().find(|old| old.id == entry.id) {
            Some(old) => Some(std::mem::replace(old, entry)),
            None => {
                self.accounts.push(entry);
                None
            }
        }
    }

    /// Removes an account (and clears "active" if it was).
    pub fn remove(&mut self, id: &AccountId) -> Option<AccountEntry> {
        let position = self.accounts.iter().position(|entry| &entry.id == id)?;
        if self.active.as_ref() == Some(id) {
            self.active = None;
        }
        Some(self.accounts.remove(position))
    }

    /// Each account's label, distinct: the email (or plan and short id), with " (2)", " (3)" …
    /// added in list order only where two would read the same.
    pub fn labels(&self) -> Vec<(AccountId, String)> {
        let bases: Vec<String> = self.accounts.iter().map(AccountEntry::base_label).collect();
        let mut labels = Vec::with_capacity(bases.len());
        for (position, (entry, base)) in self.accounts.iter().zip(&bases).enumerate() {
            let earlier = bases
                .iter()
                .take(position)
                .filter(|earlier| *earlier == base)
                .count();
            let label = if earlier == 0 {
                base.clone()
            } else {
                format!("{base} ({})", earlier.saturating_add(1))
            };
            labels.push((entry.id.clone(), label));
        }
        labels
    }

    /// The label of one account.
    pub fn label_of(&self, id: &AccountId) -> Option<String> {
        self.labels()
            .into_iter()
            .find_map(|(entry, label)| (&entry == id).then_some(label))
    }

    /// The account `wanted` names: its id, its label, or its email (case-insensitive).
    pub fn find(&self, wanted: &str) -> Result<&AccountEntry, NoSuchAccount> {
        let wanted_trimmed = wanted.trim();
        let labels = self.labels();
        let matches = |entry: &AccountEntry, label: &str| {
            entry.id.as_str().eq_ignore_ascii_case(wanted_trimmed)
                || label.eq_ignore_ascii_case(wanted_trimmed)
        };
        let by_label = self
            .accounts
            .iter()
            .zip(&labels)
            .find(|(entry, (_, label))| matches(entry, label))
            .map(|(entry, _)| entry);
        // An email shared by two accounts names the first (its label is the bare email).
        by_label
            .or_else(|| {
                self.accounts.iter().find(|entry| {
                    entry
                        .email
                        .as_deref()
                        .is_some_and(|email| email.eq_ignore_ascii_case(wanted_trimmed))
                })
            })
            .ok_or_else(|| NoSuchAccount {
                wanted: wanted.to_string(),
                known: labels.into_iter().map(|(id, label)| (label, id)).collect(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: &str, email: Option<&str>, plan: Option<PlanType>) -> AccountEntry {
        AccountEntry {
            id: serde_json::from_value(serde_json::json!(id)).unwrap(),
            slot: Slot::new_extra(),
            route: Route::CodexBackend,
            email: email.map(str::to_string),
            plan,
        }
    }

    #[test]
    fn labels_are_distinct_and_numbered_only_when_needed() {
        let mut index = AccountIndex::default();
        index.upsert(entry("codex-aaaaaaaaaaaa", Some("ada@example.com"), None));
        index.upsert(entry("siwc-bbbbbbbbbbbb", Some("ada@example.com"), None));
        index.upsert(entry("codex-cccccccccccc", None, Some(PlanType::Pro)));
        index.upsert(entry("codex-dddddddddddd", Some("bob@example.com"), None));
        let labels: Vec<String> = index.labels().into_iter().map(|(_, l)| l).collect();
        assert_eq!(
            labels,
            [
                "ada@example.com",
                "ada@example.com (2)",
                "Pro account cccccc",
                "bob@example.com"
            ]
        );
        assert_eq!(
            index.find("ADA@example.com (2)").unwrap().id.as_str(),
            "siwc-bbbbbbbbbbbb"
        );
        assert_eq!(
            index.find("codex-dddddddddddd").unwrap().email.as_deref(),
            Some("bob@example.com")
        );
        let missing = index.find("carol").unwrap_err().to_string();
        assert!(missing.contains("no account \"carol\""), "{missing}");
        assert!(
            missing.contains("bob@example.com (codex-dddddddddddd)"),
            "{missing}"
        );
    }

    #[test]
    fn saves_loads_and_reads_damage_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let location = IndexLocation::File(dir.path().join("accounts.json"));
        assert_eq!(AccountIndex::load(&location), AccountIndex::default());
        let mut index = AccountIndex::default();
        let first = entry("codex-aaaaaaaaaaaa", Some("ada@example.com"), None);
        index.upsert(first.clone());
        index.set_active(Some(first.id.clone()));
        index.save(&location).unwrap();
        let loaded = AccountIndex::load(&location);
        assert_eq!(loaded.active(), Some(&first.id));
        assert_eq!(loaded.entries(), std::slice::from_ref(&first));
        // Replacing by id keeps one entry.
        let mut replaced = loaded.clone();
        let previous = replaced.upsert(AccountEntry {
            plan: Some(PlanType::Plus),
            ..first.clone()
        });
        assert_eq!(previous, Some(first.clone()));
        assert_eq!(replaced.entries().len(), 1);
        assert!(replaced.remove(&first.id).is_some());
        assert_eq!(replaced.active(), None);

        // A change is applied to what is stored, not to a copy loaded earlier: another
        // process's addition survives this one's.
        let other = entry("codex-bbbbbbbbbbbb", Some("bob@example.com"), None);
        AccountIndex::update(&location, |index| {
            index.upsert(other.clone());
        })
        .unwrap();
        let merged = AccountIndex::update(&location, |index| index.set_active(None)).unwrap();
        assert_eq!(merged.entries().len(), 2);
        assert_eq!(AccountIndex::load(&location), merged);

        std::fs::write(dir.path().join("accounts.json"), b"{not json").unwrap();
        assert_eq!(AccountIndex::load(&location), AccountIndex::default());
    }
}
