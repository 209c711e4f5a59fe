//! The scripted answer (being written).
