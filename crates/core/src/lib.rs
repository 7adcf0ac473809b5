//! Tokenworth's ledger: finds the local logs of AI coding tools, ingests every usage event exactly
//! once into SQLite, and answers reports over it.
//!
//! This crate knows nothing of Tauri, HTTP or terminals. Time zones, paths and the environment are
//! passed in, never read from globals, so every test can pin them.

pub mod config;
pub mod dashboard;
pub mod env;
pub mod fmt;
pub mod git;
pub mod hash;
pub mod ingest;
pub mod model;
pub mod outcomes;
pub mod report;
pub mod source;
pub mod store;

pub use env::Env;
pub use model::{Tokens, UsageEvent};
