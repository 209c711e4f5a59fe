//! Several ChatGPT accounts side by side (siwc.md §2): which exist, what they are called, which
//! one is active, and where each keeps its sign-in.
//!
//! An **account** is one stored record in its own [`Slot`] of the credential store: its own
//! keychain entry or file, and so its own refresh lock, quit journal and (on the official route)
//! registration, all of which live beside the record. Its model list and usage snapshot are
//! cached under its ChatGPT account id, as they always were.
//!
//! The **account index** ([`AccountIndex`]) lists the accounts (id, slot, route, plan, email)
//! and names the active one. It holds no token: it is a plain file beside the store (or memory,
//! for the memory store), written atomically.
//!
//! - [`AccountId`]: stable, derived from the route and the ChatGPT account id / `sub`, so a
//!   second sign-in to the same account replaces it instead of adding a duplicate.
//! - Labels ([`AccountIndex::labels`]): the email when known, else the plan and a short id;
//!   " (2)" is added only when two would read the same.
//! - **Upgrade**: the sign-in an earlier version kept is in the [`Slot::Primary`] slot (the same
//!   keychain key or file name as before). An index that does not list it yet gains it the first
//!   time it loads signed in: nothing moves, and its caches keep their names.

mod account_id;
mod index;
mod slot;

pub use account_id::AccountId;
pub use index::{AccountEntry, AccountIndex, IndexLocation, NoSuchAccount};
pub use slot::Slot;
