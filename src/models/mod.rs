//! The model catalog: the models the user's plan offers today, fetched from the backend,
//! cached per account (memory and disk, with the `ETag`), with a bundled fallback list.

mod model_info;

pub use model_info::*;
