//! [`Slot`]: where in the credential store one account's record lives.

use serde::{Deserialize, Serialize};

/// Where an account's record is kept.
///
/// The primary slot is the keychain key or file every earlier version used for its one sign-in;
/// the others are named by a short random name chosen when the account is added (the
/// [`crate::credentials::CredentialStore::account_store`] of each store says where that is).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Slot {
    /// The store's own entry, as earlier versions kept their one sign-in.
    Primary,
    /// A further entry, named by 8 lowercase hex digits.
    Extra(String),
}

/// The serialized name of [`Slot::Primary`].
const PRIMARY: &str = "primary";

impl Slot {
    /// A new slot with a random name.
    pub fn new_extra() -> Self {
        Self::Extra(format!("{:08x}", rand::random::<u32>()))
    }

    /// The slot's name: `primary`, or the extra slot's hex name (safe in file names and URLs).
    pub fn name(&self) -> &str {
        match self {
            Self::Primary => PRIMARY,
            Self::Extra(name) => name,
        }
    }
}

impl From<Slot> for String {
    fn from(slot: Slot) -> Self {
        slot.name().to_string()
    }
}

/// A slot name that is neither `primary` nor 8 lowercase hex digits (a damaged index).
#[derive(Debug, thiserror::Error)]
#[error("not an account slot name")]
pub struct BadSlotName;

impl TryFrom<String> for Slot {
    type Error = BadSlotName;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        if name == PRIMARY {
            return Ok(Self::Primary);
        }
        let hex = name.len() == 8
            && name
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
        if hex {
            Ok(Self::Extra(name))
        } else {
            Err(BadSlotName)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_paths_cannot_escape() {
        let extra = Slot::new_extra();
        assert_eq!(Slot::try_from(String::from(extra.clone())).unwrap(), extra);
        assert_eq!(
            Slot::try_from("primary".to_string()).unwrap(),
            Slot::Primary
        );
        for bad in ["../../etc", "ABCDEF12", "1234567", "", "primary2"] {
            assert!(Slot::try_from(bad.to_string()).is_err(), "{bad}");
        }
    }
}
